"""autograder.grading.orchestrator and `autograder grade`: the whole flow on the tiny course,
and one-line errors."""

import csv

import pytest
from grading_course import ASSIGNMENT, HIDDEN, make_course, write_class

from autograder.cli import main
from autograder.grading.limits import Limits
from autograder.grading.orchestrator import grade
from autograder.grading.redact import normalize


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


def test_grade_runs_the_whole_flow_and_a_rerun_changes_nothing(course, tmp_path):
    src = write_class(course, tmp_path / "class", {"ada": "answer = 42", "bob": "answer = 1"})
    out = tmp_path / "graded"
    run = grade(ASSIGNMENT, src, out=out, workers=2, limits=Limits(timeout=60), root=course,
                progress=False)
    assert {o.student: o.score for o in run.outcomes} == {"ada": 2.0, "bob": 0.0}
    assert run.tampered == [] and run.workers == 2
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert float(rows["ada"]["score"]) == 2.0 and float(rows["bob"]["score"]) == 0.0
    cells = list(csv.DictReader((out / f"{ASSIGNMENT}-cells.csv").open()))
    assert [(r["student"], r["grade_id"], r["status"]) for r in cells] == [
        ("ada", "test_answer", "passed"), ("bob", "test_answer", "failed")]
    for student in ("ada", "bob"):
        html = (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert normalize(HIDDEN) not in normalize(html)
    assert (out / "nbgrader_config.py").is_file() and not (out / ".work" / ASSIGNMENT).exists()

    before = (out / "grades.csv").read_text()
    again = grade(ASSIGNMENT, src, out=out, workers=1, limits=Limits(timeout=60), root=course,
                  progress=False)
    assert [(o.student, o.score, o.reason) for o in again.outcomes] == \
        [(o.student, o.score, o.reason) for o in run.outcomes]
    assert (out / "grades.csv").read_text() == before


@pytest.mark.parametrize("argv, message", [
    (["no-such-lesson", "--submissions", "x"], "unknown assignment 'no-such-lesson'"),
    (["01-pickle"], "give ASSIGNMENT and --submissions"),
    (["01-pickle", "--submissions", "x", "--memory", "lots"], "'lots' is not a size"),
    (["01-pickle", "--submissions", "x", "--timeout", "0"], "timeout must be a positive"),
    (["01-pickle", "--submissions", "/no/such/dir"], "/no/such/dir: no such folder or zip"),
])
def test_bad_input_is_one_actionable_line(argv, message, capsys, tmp_path):
    assert main(["grade", *argv, "--out", str(tmp_path / "graded")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
