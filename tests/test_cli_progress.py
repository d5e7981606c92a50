"""`autograder progress`: every graded lesson in course order with its last self-study score,
when, and what is left, then how many are at full marks and where the scores are kept; with
--json, the same as one JSON object.

Its rows come from autograder.grading.progress (tests/test_grading_progress.py); the scores a
real `autograder score` records are checked in tests/test_cli_score.py."""

import json
import re

import pytest

from autograder.cli import main
from autograder.common.units import DASH
from autograder.grading import progress
from autograder.grading.outcome import GradeStatus


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A self-study folder where 01-pickle is at full marks and 04-onnx timed out."""
    monkeypatch.setenv(progress.FOLDER_VARIABLE, str(tmp_path / "self-study"))
    for assignment, status, score in (("01-pickle", GradeStatus.GRADED, 10.0),
                                      ("04-onnx", GradeStatus.TIMEOUT, 0.0)):
        progress.record(progress.Attempt(
            assignment=assignment, status=status, score=score, max_score=10,
            date="2025-03-01T10:15:42+00:00", reason="stopped after 60 s of CPU"))
    return tmp_path / "self-study"


def test_the_table_shows_each_lesson_and_counts_full_marks(folder, capsys):
    assert main(["progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [re.split(r"\s{2,}", line.strip()) for line in lines if line[:2].isdigit()]
    rows = {row[0]: row[2:] for row in cells}  # score, date, left
    assert list(rows) == [lesson.id for lesson, _ in progress.lessons()]  # course order
    assert rows["01-pickle"] == ["10/10", "2025-03-01 10:15", progress.FULL_MARKS]
    assert rows["04-onnx"][2] == "not graded: stopped after 60 s of CPU"
    assert rows["02-joblib"][1:] == [DASH, progress.NOT_ATTEMPTED]
    assert lines[-1] == (f"1 of {len(rows)} lessons at full marks. Scores from `autograder "
                         f"score`, kept in {folder / 'progress.json'}.")


def test_json_is_one_object_with_an_attempt_or_null_per_lesson(folder, capsys):
    assert main(["progress", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert out.count("\n") == 1 and data["progress"] == str(folder / "progress.json")
    lessons = {entry["lesson"]: entry for entry in data["lessons"]}
    assert lessons["01-pickle"]["attempt"]["score"] == 10
    assert lessons["01-pickle"]["left"] == progress.FULL_MARKS
    assert lessons["04-onnx"]["attempt"]["status"] == "timeout"
    assert lessons["02-joblib"]["attempt"] is None
    assert lessons["02-joblib"]["points"] > 0


def test_no_scores_yet_is_not_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(progress.FOLDER_VARIABLE, str(tmp_path / "new"))
    assert main(["progress"]) == 0
    assert "0 of " in capsys.readouterr().out.splitlines()[-1]
    assert not (tmp_path / "new").exists()  # listing writes nothing
