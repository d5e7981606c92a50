"""autograder.pages: the generated reference pages are in step with their data, every figure
they show traces to docs/benchmarks.json, and every link into a lesson opens a heading.

When lessons are rewritten, test_every_link_opens_a_heading_of_its_lesson names each broken
link exactly: the page, the link's text, its target, and the headings the notebook has now."""

import json
import re

import pytest

from autograder import pages
from autograder.common.paths import ROOT
from autograder.pages import claims, figures, formats, links, reference


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


def test_a_typed_figure_is_caught_and_a_quoted_one_is_not():
    figure = figures.Figure("formats.pickle-size", 3_627_000, "bytes", 1, "Format figures")
    text = (f"pickle: {figure.text}; joblib: 966 KB; a limit of "
            f"{figures.quoted('2 GB', 'https://onnx.ai')}; “10–100x faster” as the seed says")
    assert figures.untraced(text, [figure]) == ["966 KB"]


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


def test_every_cve_lesson_05_names_links_to_its_advisory():
    notebook = (ROOT / "lessons" / "05-security" / "05-security.ipynb").read_text()
    named = set(re.findall(r"CVE-\d{4}-\d{4,}", notebook))
    text = (ROOT / "docs" / "reading.md").read_text()
    assert named, "lesson 05 names no CVE"
    for cve in sorted(named):
        assert f"[{cve}](https://nvd.nist.gov/vuln/detail/{cve})" in text, cve


def test_the_glossary_has_the_terms_the_course_promises():
    terms = {t["term"] for t in reference.terms()}
    assert {"opset", "ZipMap", "initializer", "ExportedProgram", "state_dict", "memo",
            "STACK_GLOBAL", "HMAC"} <= terms


def test_the_guide_has_a_row_for_every_route_of_the_course():
    names = " ".join(route["name"] for route in formats.routes())
    for route in ("pickle", "joblib", "cloudpickle", "skops", "safetensors", "state_dict",
                  "TorchScript", "torch.export", "AOTInductor", "ExecuTorch", "ONNX",
                  "LightGBM", "XGBoost", "Keras"):
        assert route in names, route
    data = json.loads((ROOT / "docs" / "benchmarks.json").read_text())
    keys = {m["key"] for s in data["sections"] for m in s["measurements"]}
    for route in formats.routes():
        if route.get("key"):
            assert f"{route['key']}-size" in keys, f"no measured size for {route['name']}"
        else:
            assert route.get("quoted"), f"{route['name']}: no figure and nothing quoted"
