"""autograder.grading.report: nbgrader's export, our CSVs (task cells included), the table."""

import csv
import dataclasses

from grading_course import ASSIGNMENT, make_course

from autograder.grading import report
from autograder.grading.course import GradingCourse, define_assignment
from autograder.grading.merge import merge
from autograder.grading.outcome import CellResult, GradeOutcome, GradeStatus


def outcome(student, score, status=GradeStatus.GRADED):
    graded = status == GradeStatus.GRADED
    cells = (CellResult(notebook=ASSIGNMENT, grade_id="test_answer", score=score,
                        max_score=2.0, auto_score=score, graded=graded, message="msg"),
             CellResult(notebook=ASSIGNMENT, grade_id="essay", score=0.0, max_score=3.0,
                        needs_manual_grade=True, task=True, graded=graded))
    return GradeOutcome(assignment=ASSIGNMENT, student=student, status=status, score=score,
                        max_score=5.0, reason=f"reason {student}", cells=cells)


def rows(path):
    return list(csv.DictReader(path.open()))


def test_nbgraders_export_of_the_merged_gradebook(tmp_path):
    course = GradingCourse.open(make_course(tmp_path / "course"), tmp_path / "graded")
    define_assignment(course, ASSIGNMENT, tmp_path / "release")
    ada = outcome("ada", 2.0)
    merge([dataclasses.replace(ada, cells=ada.cells[:1])], course)  # the tiny course has no task
    exported = rows(report.export_grades(course, tmp_path / "grades.csv"))
    assert [(r["student_id"], float(r["score"])) for r in exported] == [("ada", 2.0)]


def test_the_csvs_list_every_cell_and_keep_students_not_graded_this_time(tmp_path):
    cells, outcomes = tmp_path / "cells.csv", tmp_path / "outcomes.csv"
    report.write_cells([outcome("bob", 0.0, GradeStatus.TIMEOUT), outcome("ada", 2.0)], cells)
    report.write_outcomes([outcome("bob", 0.0, GradeStatus.TIMEOUT), outcome("ada", 2.0)],
                          outcomes)
    assert [(r["student"], r["grade_id"], r["kind"], r["status"]) for r in rows(cells)] == [
        ("ada", "test_answer", "grade", "passed"), ("ada", "essay", "task", "needs manual grade"),
        ("bob", "test_answer", "grade", "not graded"), ("bob", "essay", "task", "not graded")]
    assert [(r["student"], r["status"], r["flagged"]) for r in rows(outcomes)] == [
        ("ada", "graded", ""), ("bob", "timeout", "yes")]
    report.write_outcomes([outcome("bob", 1.0)], outcomes)  # `--student bob` later
    assert [(r["student"], r["status"], r["score"]) for r in rows(outcomes)] == [
        ("ada", "graded", "2"), ("bob", "graded", "1")]


def test_the_summary_table():
    table = report.summary([outcome("bob", 0.0, GradeStatus.TIMEOUT), outcome("ada", 2.0)],
                           {"ada": "", "bob": "score 0, expected 2"})
    lines = table.splitlines()
    assert lines[0].split() == ["student", "score", "status", "check", "time", "reason"]
    assert "ada" in lines[2] and " ok " in lines[2]
    assert "DIFFERS" in lines[3] and "timeout*" in lines[3]  # flagged
