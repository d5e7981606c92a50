"""The progress file: the last attempt of each lesson, every graded lesson listed."""

import pytest

from autograder.course import outline
from autograder.grading import progress
from autograder.grading.outcome import GradeStatus


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(progress.FOLDER_VARIABLE, str(tmp_path / "self-study"))
    return tmp_path / "self-study"


def attempt(assignment="01-pickle", score=8.0, left=("test_save_model",),
            status=GradeStatus.GRADED):
    return progress.Attempt(assignment=assignment, status=status, score=score, max_score=10,
                            date="2025-03-01T10:15:00+00:00", left=left, reason="why")


def test_the_folder_follows_the_variable_and_else_the_xdg_data_home(folder, monkeypatch):
    assert progress.path() == folder / "progress.json"
    monkeypatch.delenv(progress.FOLDER_VARIABLE)
    monkeypatch.setenv("XDG_DATA_HOME", "/somewhere")
    assert progress.folder().as_posix() == "/somewhere/autograder"


def test_each_lesson_keeps_its_last_attempt(folder):
    assert progress.load() == {}
    progress.record(attempt(score=3))
    progress.record(attempt("04-onnx", score=10, left=()))
    progress.record(attempt(score=8))
    assert progress.load() == {"01-pickle": attempt(score=8),
                               "04-onnx": attempt("04-onnx", score=10, left=())}
    assert [p.name for p in folder.iterdir()] == ["progress.json"]  # no temporary left


def test_an_unreadable_file_is_no_progress_and_is_replaced(folder):
    folder.mkdir()
    progress.path().write_text("{not json")
    assert progress.load() == {}
    progress.record(attempt())
    assert list(progress.load()) == ["01-pickle"]


def test_every_graded_lesson_is_listed_with_what_is_left(folder):
    progress.record(attempt(score=8))
    progress.record(attempt("04-onnx", score=10, left=()))
    progress.record(attempt("07-capstone", score=0, left=(), status=GradeStatus.TIMEOUT))
    rows = {row[0]: row for row in progress.rows()}
    graded = [lesson.id for lesson in outline.lessons() if lesson.graded]
    assert list(rows) == graded and "00-start" not in rows
    assert rows["01-pickle"][2:] == ["8/10", "2025-03-01 10:15", "test_save_model"]
    assert rows["04-onnx"][4] == progress.FULL_MARKS
    assert rows["07-capstone"][4] == "not graded: why"
    points = next(lesson.points for lesson in outline.lessons() if lesson.id == "02-joblib")
    assert rows["02-joblib"][2:] == [f"{progress.DASH}/{points:g}", progress.DASH,
                                     progress.NOT_ATTEMPTED]
