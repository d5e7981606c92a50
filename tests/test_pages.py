"""autograder.pages: the generated reference pages are in step with their data, every figure
they show traces to docs/benchmarks.json, and every link into a lesson opens a heading.

When lessons are rewritten, test_every_link_opens_a_heading_of_its_lesson names each broken
link exactly: the page, the link's text, its target, and the headings the notebook has now."""

import pytest

from autograder import pages
from autograder.common.paths import ROOT
from autograder.pages import claims, figures, formats, links


def test_every_page_is_what_its_data_generates():
    """Regenerated from the committed JSON, TOML and catalogue: no figure edited by hand."""
    assert pages.drift() == [], "run `autograder pages` (make pages) and commit docs/"


@pytest.mark.parametrize("name", sorted(pages.PAGES))
def test_every_link_opens_a_heading_of_its_lesson(name):
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert links.broken(text, f"docs/{name}") == []


@pytest.mark.parametrize("module", [formats, claims])
def test_every_figure_on_the_page_traces_to_the_benchmark_data(module):
    results = figures.Results.load()
    text = module.page(results=results)
    assert text == (ROOT / "docs" / f"{module.__name__.rsplit('.', 1)[-1]}.md").read_text()
    assert len(results.used) > 5, "the page quotes almost no figure"
    assert figures.untraced(text, results.used) == [], "figures typed by hand, or stale"


def test_the_ledger_covers_every_seed_and_decides_with_figures():
    ledger = claims.claims()
    assert {claim["seed"] for claim in ledger} == {"000", "001", "002"}
    assert len(ledger) >= 20
    written = [claim for claim in ledger if "verdict" in claim]
    assert len(written) <= 3 and all("why" in claim for claim in written)
    text = (ROOT / "docs" / "claims.md").read_text()
    for phrase in ("10–100x faster than pickle", "ONNX offers best compression",
                   "independently of Python", "2 hours", "5 ms per request"):
        assert phrase in text, phrase
