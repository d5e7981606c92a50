"""autograder.grading.merge and report: outcomes become nbgrader records, CSVs and a table."""

import csv

import pytest
from grading_course import ASSIGNMENT, make_course

from autograder.grading import report
from autograder.grading.course import define_assignment, grading_config
from autograder.grading.merge import merge
from autograder.grading.outcome import CellResult, GradeOutcome


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def config(course, tmp_path_factory):
    """One gradebook for the module: each test uses students of its own."""
    out = tmp_path_factory.mktemp("out")
    config = grading_config(out, root=course)
    define_assignment(config, ASSIGNMENT, out / ".release")
    return config


def outcome(student, score, status="graded", work=""):
    return GradeOutcome(ASSIGNMENT, student, status, score, 2.0, f"reason {student}",
                        (CellResult(ASSIGNMENT, "test_answer", score, 2.0, "msg"),),
                        ((ASSIGNMENT, "answer", None),), work=work)


def grades(config):
    from nbgrader.api import Gradebook

    course = config.CourseDirectory
    with Gradebook(course.db_url, course.course_id) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}


def test_merge_writes_nbgrader_records_and_is_idempotent(config):
    merge(outcome("ann", 2.0), config)
    merge(outcome("ben", 0.0, status="timeout"), config)
    first = grades(config)
    assert (first["ann"], first["ben"]) == (2.0, 0.0)
    merge(outcome("ann", 2.0), config)
    assert grades(config) == first


def test_merge_never_gives_more_than_the_cell_is_worth(config):
    merge(outcome("eve", 99.0), config)
    assert grades(config)["eve"] == 2.0


def test_merge_moves_feedback_and_clears_stale_files(config, tmp_path):
    job = tmp_path / "job"
    fb = job / "course" / "feedback" / "fay" / ASSIGNMENT
    fb.mkdir(parents=True)
    (fb / f"{ASSIGNMENT}.html").write_text("<html>")
    merge(outcome("fay", 2.0, work=str(job)), config)
    dest = (tmp_path / config.CourseDirectory.root / "feedback" / "fay" / ASSIGNMENT /
            f"{ASSIGNMENT}.html")
    assert dest.read_text() == "<html>"
    merge(outcome("fay", 0.0, status="timeout", work=str(job)), config)
    assert not dest.exists()


def test_reports(config, tmp_path):
    outcomes = [outcome("bob", 0.0, status="timeout"), outcome("ada", 2.0)]
    for o in outcomes:
        merge(o, config)
    exported = report.export_grades(config, tmp_path / "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader(exported.open())}
    assert float(rows["ada"]["score"]) == 2.0 and float(rows["bob"]["max_score"]) == 2.0

    cells = list(csv.DictReader(report.write_cells(outcomes, tmp_path / "c.csv").open()))
    assert [(r["student"], r["status"], r["message"]) for r in cells] == [
        ("ada", "passed", "msg"), ("bob", "failed", "msg")]
    summary = list(csv.DictReader(report.write_outcomes(outcomes, tmp_path / "o.csv").open()))
    assert [(r["student"], r["status"], r["reason"]) for r in summary] == [
        ("ada", "graded", "reason ada"), ("bob", "timeout", "reason bob")]

    table = report.summary(outcomes, {"ada": "", "bob": "score 0, expected 2"})
    lines = table.splitlines()
    assert lines[0].split() == ["student", "score", "status", "check", "time", "reason"]
    assert "ada" in lines[2] and " ok " in lines[2] and "DIFFERS" in lines[3]


def test_an_answer_waiting_for_a_manual_grade_keeps_no_automatic_score(config):
    from nbgrader.api import Gradebook

    waiting = GradeOutcome(ASSIGNMENT, "hal", "graded", 0.0, 2.0, "reason hal",
                           (CellResult(ASSIGNMENT, "test_answer", 0.0, 2.0,
                                       needs_manual_grade=True),))
    merge(waiting, config)
    course = config.CourseDirectory
    with Gradebook(course.db_url, course.course_id) as gb:
        grade = gb.find_grade("test_answer", ASSIGNMENT, ASSIGNMENT, "hal")
        assert grade.auto_score is None and grade.needs_manual_grade  # formgrader flags it
