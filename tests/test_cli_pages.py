"""`autograder pages`: rewrites the generated pages of docs/ and names them; `--check` changes
nothing and exits 1 when a page differs from its data or one of its links into a lesson opens no
heading, each problem on its own line, then a count.

Whether the committed docs/ are in step is tests/test_pages.py's check; here the pages are
fakes, so what is checked is what the command asks for and how it words the answer."""

from pathlib import Path

import pytest

from autograder import pages
from autograder.cli import main
from autograder.pages import links


@pytest.fixture
def fake(monkeypatch):
    """Two pages; drift and broken links as `fake` says; writing recorded, never done."""
    state = {"drift": [], "broken": {}, "checked": [], "written": 0}

    def broken(text, page):
        state["checked"].append((text, page))
        return state["broken"].get(page, [])

    def write_all():
        state["written"] += 1
        return [Path("/course/docs/formats.md"), Path("/course/docs/glossary.md")]

    monkeypatch.setattr(pages, "PAGES", {"formats.md": "formats", "glossary.md": "reference"})
    monkeypatch.setattr(pages, "render", lambda name: f"text of {name}")
    monkeypatch.setattr(pages, "drift", lambda: list(state["drift"]))
    monkeypatch.setattr(pages, "write_all", write_all)
    monkeypatch.setattr(links, "broken", broken)
    return state


def test_writing_names_each_page(fake, capsys):
    assert main(["pages"]) == 0
    assert fake["written"] == 1
    assert capsys.readouterr().out == "pages: wrote docs/formats.md, docs/glossary.md\n"


def test_check_in_step(fake, capsys):
    assert main(["pages", "--check"]) == 0
    assert capsys.readouterr().out == "pages: in step\n"
    # the links of every page are checked in the page as it would be generated
    assert fake["checked"] == [("text of formats.md", "docs/formats.md"),
                               ("text of glossary.md", "docs/glossary.md")]
    assert fake["written"] == 0


def test_check_lists_drift_and_broken_links_then_fails(fake, capsys):
    fake["drift"] = ["docs/formats.md: differs from its data (run `autograder pages`)"]
    fake["broken"] = {"docs/glossary.md": [
        "docs/glossary.md: link [pickle] -> lessons/01-pickle/01-pickle.ipynb#gone: no heading"]}
    assert main(["pages", "--check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        *fake["drift"], *fake["broken"]["docs/glossary.md"], "pages: 2 problem(s)"]
    assert fake["written"] == 0
