"""autograder.grading.classreport: mistakes counted per student from the autograded notebooks of
the tests that lost points, points lost per cell from the gradebook, the CSV, page and plot."""

import csv

import nbformat
import pytest
from gradebooks import make_gradebook
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.course import mistakes
from autograder.grading import classreport
from autograder.grading.course import GradingCourse

A = "ps1"


def autograded(course, student, outputs_by_cell):
    cells = [new_code_cell("assert ok", outputs=outputs,
                           metadata={"nbgrader": {"grade": True, "grade_id": cell,
                                                  "solution": False, "points": 1}})
             for cell, outputs in outputs_by_cell.items()]
    path = course.path("autograded_directory", student, A) / f"{A}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells), path)


def failure(mistake_id):
    message = mistakes.tag(mistake_id, "it went wrong")
    return [new_output("error", ename="AssertionError", evalue=message,
                       traceback=[f"AssertionError: {message}"])]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """ada passes; bob and cyd save in text mode; cyd also misses the path; dan's path test
    names wrong-path but passed after a manual grade (not counted); eve's submission has no
    score at all (not graded automatically); fay's path cell awaits a manual grade."""
    tmp = tmp_path_factory.mktemp("report")
    course = GradingCourse.open(tmp / "course", tmp / "graded")
    (tmp / "course" / "release").mkdir(parents=True)
    make_gradebook(course.out / "gradebook.db", {A: {"test_save": 2.0, "test_path": 1.0}},
                   {(A, "ada"): {"test_save": 2.0, "test_path": 1.0},
                    (A, "bob"): {"test_save": 0.0, "test_path": 1.0},
                    (A, "cyd"): {"test_save": 0.0, "test_path": 0.0},
                    (A, "dan"): {"test_save": 2.0, "test_path": 0.0},
                    (A, "eve"): {"test_save": None, "test_path": None},
                    (A, "fay"): {"test_save": 2.0, "test_path": None}},
                   manual={(A, "dan", "test_path"): 1.0}, course_id=course.course_id)
    autograded(course, "ada", {"test_save": [], "test_path": []})
    autograded(course, "bob", {"test_save": failure("text-mode"), "test_path": []})
    autograded(course, "cyd", {"test_save": failure("text-mode"),
                               "test_path": failure("wrong-path")})
    autograded(course, "dan", {"test_save": [], "test_path": failure("wrong-path")})
    autograded(course, "fay", {"test_save": [], "test_path": []})
    return course


def test_each_mistake_counts_the_students_whose_failed_tests_named_it(course):
    report = classreport.collect(course, A)
    assert (report.students, report.graded, report.ungraded) == (6, 5, ("eve",))
    assert [(f.mistake.id, f.students, f.cells) for f in report.found] == [
        ("text-mode", ("bob", "cyd"), ("test_save",)), ("wrong-path", ("cyd",), ("test_path",))]
    assert [(c.grade_id, c.lost, c.failed, c.students, c.pending) for c in report.cells] == [
        ("test_save", 4.0, 2, 5, 0), ("test_path", 1.0, 1, 4, 1)]


def test_the_csv_page_and_plot_are_written_beside_the_other_reports(course):
    files = classreport.write_report(course, A)
    assert set(files) == {"mistakes", "mistakes_html", "mistakes_plot"}
    assert all(path.parent == course.out for path in files.values())
    rows = list(csv.DictReader(files["mistakes"].open()))
    assert [(r["mistake"], r["students"], r["student_ids"]) for r in rows] == [
        ("text-mode", "2", "bob cyd"), ("wrong-path", "1", "cyd")]
    anchor = mistakes.get("text-mode").anchor
    assert rows[0]["link"] == f"../course/release/01-pickle/01-pickle.ipynb#{anchor}"
    page = files["mistakes_html"].read_text()
    assert "data:image/png;base64," in page and 'alt="Bar chart' in page
    assert "test_save 4 of 10 points" in page  # the plot's data, in its alternative text
    assert "5 of 6 submissions graded; not graded automatically" in page
    assert "for a manual grade and left out below: eve;" in page
    assert "cells awaiting a manual grade (students): test_path (1)" in page
    assert files["mistakes_plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_assignment_not_in_the_gradebook_gives_an_empty_report(course):
    report = classreport.collect(course, "ps9")
    assert (report.students, report.found, report.cells) == (0, (), ())
