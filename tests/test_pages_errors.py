"""autograder.pages.errors: the error atlas puts every catalogued mistake in its part (a
library's error, the checker's line, or neither), grouped by lesson, with cause, fix and link."""

from types import SimpleNamespace

import pytest

from autograder.course.mistakes import Mistake
from autograder.pages import errors

WHERE = dict(lesson="01-pickle", section="5.2 Why 'rb', not 'r'?")
LINK = "[01 · 5.2 Why 'rb', not 'r'?](../lessons/01-pickle/01-pickle.ipynb#5.2-Why-'rb',-not-'r'?)"
CATALOGUE = [
    Mistake(id="text-mode", title="Loading in text mode", message="opened with 'r'",
            fix="open with 'rb'", error="UnicodeDecodeError: 'utf-8' codec can't decode",
            **WHERE),
    Mistake(id="late-import", title="Importing too late", message="the class is not defined",
            fix="import it first", error="AttributeError: Can't get attribute 'Model'",
            lesson="03-pytorch", section="2 · Loading"),
    Mistake(id="truncated", title="A truncated file", message="the copy stopped | early",
            fix="copy it again", check="'model.pkl' is truncated", **WHERE),
    Mistake(id="both", title="Both", message="m", fix="f", error="EOFError: Ran out of input",
            check="'model.pkl' is empty", **WHERE),
    Mistake(id="silent-drift", title="Silent version drift", message="predictions change",
            fix="pin the versions", **WHERE),
]


@pytest.fixture
def atlas(monkeypatch):
    """The page for CATALOGUE, with lesson 01 titled and lesson 03 unknown to the outline."""
    monkeypatch.setattr(errors.mistakes, "catalogue", lambda: {m.id: m for m in CATALOGUE})
    monkeypatch.setattr(errors.outline, "lessons",
                        lambda root: [SimpleNamespace(id="01-pickle", title="Pickle")])
    return errors.page()


def part(page: str, heading: str) -> str:
    """The text of the `## heading` part, up to the next `## ` heading."""
    return page.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_a_library_error_is_quoted_under_its_lesson_with_cause_fix_and_link(atlas):
    printed = part(atlas, "Errors that libraries print")
    entry = printed.split("#### Loading in text mode\n", 1)[1].split("####", 1)[0]
    assert entry.strip().splitlines() == [
        "```text", "UnicodeDecodeError: 'utf-8' codec can't decode", "```", "",
        "- **Cause:** opened with 'r'", "- **Fix:** open with 'rb'",
        f"- **Shown in:** {LINK} · id `text-mode`"]


def test_lessons_come_in_course_order_with_their_titles(atlas):
    printed = part(atlas, "Errors that libraries print")
    headings = [line for line in printed.splitlines() if line.startswith("### ")]
    # A lesson the outline does not know is named by its id rather than left out.
    assert headings == ["### Lesson 01 · Pickle", "### Lesson 03 · 03-pytorch"]
    assert printed.index("#### Importing too late") > printed.index("### Lesson 03")


def test_every_mistake_is_in_each_part_it_belongs_to(atlas):
    ids = {heading: {m.id for m in CATALOGUE if f"`{m.id}`" in part(atlas, heading)}
           for heading in ("Errors that libraries print", "What `check_artifact` says",
                           "Other mistakes the course teaches")}
    assert ids == {"Errors that libraries print": {"text-mode", "late-import", "both"},
                   "What `check_artifact` says": {"truncated", "both"},
                   "Other mistakes the course teaches": {"silent-drift"}}


def test_the_checker_table_quotes_its_line_and_keeps_pipes_in_their_cell(atlas):
    rows = [line for line in part(atlas, "What `check_artifact` says").splitlines()
            if "`truncated`" in line]
    assert rows == [f"| `'model.pkl' is truncated` | the copy stopped \\| early | copy it again "
                    f"| {LINK} | `truncated` |"]


def test_the_page_opens_with_its_title_and_ends_with_one_newline(atlas):
    assert atlas.startswith("# Error atlas\n")
    assert atlas.endswith("|\n") and not atlas.endswith("\n\n")
