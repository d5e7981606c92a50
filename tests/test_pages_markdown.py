"""autograder.pages.markdown: table cells stay on one line and in their column, links reach the
heading JupyterLab anchors, and inline code survives the backticks inside it."""

import re

import pytest

from autograder.pages import markdown


def columns(line: str) -> list[str]:
    """A table row's cells, split on the pipes Markdown reads as column breaks."""
    return [part.strip() for part in re.split(r"(?<!\\)\|", line)[1:-1]]


@pytest.mark.parametrize("value, text", [
    ("two\nlines", "two lines"),
    ("  spaced   out\t", "spaced out"),
    ("a | b", "a \\| b"),
    (3.5, "3.5"),
    (None, "None"),
])
def test_a_cell_is_one_line_with_its_pipes_escaped(value, text):
    assert markdown.cell(value) == text


def test_a_table_keeps_every_value_in_its_column():
    lines = markdown.table(["Route", "Needs"], [["pickle", "Python | the same\nversions"], [1, 2]])
    assert columns(lines[0]) == ["Route", "Needs"]
    assert columns(lines[1]) == ["---", "---"]  # the delimiter row has one cell per header
    assert columns(lines[2]) == ["pickle", "Python \\| the same versions"]
    assert columns(lines[3]) == ["1", "2"]
    assert len(lines) == 4


def test_a_table_without_rows_is_its_header():
    assert markdown.table(["A", "B", "C"], []) == ["| A | B | C |", "|---|---|---|"]


def test_a_lesson_link_opens_the_notebook_at_the_heading():
    link = markdown.lesson_link("06-production", "3 · Metadata next to the `model`")
    # The label drops the backticks; the anchor is JupyterLab's (spaces as hyphens, quoted).
    assert link == ("[06 · 3 · Metadata next to the model]"
                    "(../lessons/06-production/06-production.ipynb"
                    "#3-%C2%B7-Metadata-next-to-the-model)")


def test_a_lesson_link_takes_its_own_text():
    link = markdown.lesson_link("01-pickle", "5.2 Why 'rb', not 'r'?", "01")
    assert link.startswith("[01](../lessons/01-pickle/01-pickle.ipynb#5.2-Why-'rb',-not-'r'?)")


@pytest.mark.parametrize("heading, text", [
    ("Save with `joblib.dump`", "Save with joblib.dump"),
    ("The [quoted] figure", "The quoted figure"),
    ("Plain words", "Plain words"),
])
def test_plain_strips_what_would_break_a_link_text(heading, text):
    assert markdown.plain(heading) == text


@pytest.mark.parametrize("text, inline", [
    ("pickle.load", "`pickle.load`"),
    ("a`b", "`` a`b ``"),  # a double fence, padded so a backtick at an edge does not close it
    ("`weights_only`", "`` `weights_only` ``"),
])
def test_code_survives_backticks_inside_it(text, inline):
    assert markdown.code(text) == inline


def test_code_survives_a_double_backtick_inside_it():
    inline = markdown.code("a``b")
    fence = re.match(r"`+", inline).group(0)
    # CommonMark ends a code span at the first backtick run exactly as long as its fence.
    inside = re.findall(r"`+", inline[len(fence):-len(fence)])
    assert all(len(run) != len(fence) for run in inside), inline


@pytest.mark.parametrize("text, bold", [
    ("__reduce__", r"**\_\_reduce\_\_**"),  # else CommonMark reads the underscores as emphasis
    ("weights_only", "**weights_only**"),  # inside a word: never emphasis, left readable
    ("_private", r"**\_private**"),
])
def test_strong_keeps_underscores_literal(text, bold):
    assert markdown.strong(text) == bold
