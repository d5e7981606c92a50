"""Self-study scoring on the tiny course: a copy graded by the real grader, the notebook
untouched, reasons and feedback without hidden tests, the lesson found from name or cells."""

import hashlib

import nbformat
import pytest
from grading_course import ASSIGNMENT, HIDDEN, make_course, submission

from autograder.common.paths import ROOT
from autograder.grading import selfscore
from autograder.grading.outcome import GradeStatus
from autograder.grading.redact import normalize

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("selfscore") / "course")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(course, folder, answer, name=f"{ASSIGNMENT}.ipynb"):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(submission(course, answer), folder / name)
    return folder / name


def test_a_copy_is_graded_and_the_notebook_is_not_changed(course, tmp_path):
    """One grading (a lesson takes half a minute; tests/test_cli_score.py grades lesson 01):
    a failed test, its reason, the lesson found from the cells of a renamed copy."""
    notebook = write(course, tmp_path / "mine", "answer = 41", name="my attempt.ipynb")
    before, listing = digest(notebook), sorted(notebook.parent.iterdir())
    result = selfscore.score(notebook, root=course, keep=tmp_path / "kept")
    assert digest(notebook) == before and sorted(notebook.parent.iterdir()) == listing
    assert result.assignment == ASSIGNMENT
    assert (result.status, result.score, result.max_score) == (GradeStatus.GRADED, 0, 2)
    assert [(t.grade_id, t.max_score) for t in result.failed] == [("test_answer", 2)]
    assert result.failed[0].reason.startswith("AssertionError: answer should be 42")
    assert "\n" not in result.reason and HIDDEN not in result.reason
    assert result.feedback == tmp_path / "kept" / f"{ASSIGNMENT}.html"
    page = normalize(result.feedback.read_text())
    assert "answer should be 42" in page and normalize(HIDDEN) not in page
    attempt = result.attempt()
    assert (attempt.left, attempt.done, attempt.score) == (("test_answer",), False, 0)


def test_the_kept_page_links_to_the_lessons_from_where_it_is_kept(tmp_path):
    release = tmp_path / "course" / "lessons"
    page = tmp_path / "grading" / "feedback" / "self" / "tiny" / "tiny.html"
    page.parent.mkdir(parents=True)
    link = '<a href="../../../../course/lessons/tiny/tiny.ipynb#Heading">re-read</a>'
    page.write_text(f"<p>{link}</p>")
    kept = selfscore.kept_feedback(page, tmp_path / "kept", "tiny", release)
    assert kept.read_text() == '<p><a href="../course/lessons/tiny/tiny.ipynb#Heading">' \
                               're-read</a></p>'
    assert (kept.parent / "../course/lessons").resolve() == release
    # an attempt that was not graded has no page: the earlier one goes
    assert selfscore.kept_feedback(None, tmp_path / "kept", "tiny", release) is None
    assert not kept.exists()


@pytest.mark.parametrize("name, expected", [
    ("lessons/01-pickle/01-pickle.ipynb", "01-pickle"),
    ("Downloads/01-pickle-Copy1.ipynb", "01-pickle"),
    ("04-onnx/untitled.ipynb", "04-onnx"),
])
def test_the_lesson_is_found_from_the_file_or_folder_name(name, expected):
    assert selfscore.assignment_of(ROOT / name, nbformat.v4.new_notebook()) == expected


def test_the_lesson_is_found_from_its_graded_cells():
    nb = nbformat.read(ROOT / "lessons" / "03-pytorch" / "03-pytorch.ipynb", as_version=4)
    assert selfscore.assignment_of(ROOT / "work" / "notes.ipynb", nb) == "03-pytorch"


@pytest.mark.parametrize("name", ["lessons/00-start/00-start.ipynb", "notes.ipynb"])
def test_an_ungraded_or_unknown_notebook_is_a_one_line_error(name):
    with pytest.raises(selfscore.ScoreError, match="not one of the graded lessons"):
        selfscore.assignment_of(ROOT / name, nbformat.v4.new_notebook())


def test_an_unreadable_notebook_is_a_one_line_error(tmp_path):
    broken = tmp_path / "01-pickle.ipynb"
    broken.write_text('{"cells": [')
    with pytest.raises(selfscore.ScoreError, match="not a readable notebook"):
        selfscore.score(broken)
    with pytest.raises(selfscore.ScoreError, match="cannot read it"):
        selfscore.score(tmp_path / "missing.ipynb")
    with pytest.raises(selfscore.ScoreError, match="'00-start' is not one of the graded"):
        selfscore.score(ROOT / "lessons" / "00-start" / "00-start.ipynb", assignment="00-start")


def test_only_lessons_with_graded_cells_are_scored():
    graded = selfscore.graded_assignments()
    assert "01-pickle" in graded and "07-capstone" in graded
    assert "00-start" not in graded and "08-self-assessment" not in graded
