"""autograder.course.outline: the lessons in order, read from the student notebooks."""

import json

from autograder.common.paths import ROOT
from autograder.course import outline


def test_every_lesson_in_order_with_its_title_time_and_points():
    found = outline.lessons()
    assert [lesson.id for lesson in found] == sorted(lesson.id for lesson in found)
    start, pickle_lesson = found[0], found[1]
    assert (start.id, start.graded, start.points) == ("00-start", False, 0)
    assert pickle_lesson.title == "Saving a model with pickle" and pickle_lesson.graded
    nb = json.loads(pickle_lesson.path.read_text())
    assert pickle_lesson.points == sum(c["metadata"]["nbgrader"]["points"] for c in nb["cells"]
                                       if c["metadata"].get("nbgrader", {}).get("grade"))
    assert all(lesson.minutes for lesson in found)


def test_only_an_explicit_mark_makes_a_notebook_ungraded():
    assert outline.graded({"metadata": {}})
    assert outline.graded({"metadata": {"autograder": {}}})
    assert not outline.graded({"metadata": {"autograder": {"graded": False}}})


def test_the_table_shows_a_dash_for_ungraded_points():
    text = outline.table(ROOT).to_text()
    assert "Start here" in text and "—" in text
