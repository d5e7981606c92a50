"""autograder.grading.gradebook: a job's gradebook holds what the course's holds for it."""

import sqlite3
from datetime import datetime, timedelta

import pytest
from grading_course import ASSIGNMENT, make_course

from autograder.grading import gradebook
from autograder.grading.course import GradingCourse, define_assignment


def test_a_new_gradebook_has_nbgraders_tables_and_nothing_in_them(tmp_path):
    path = gradebook.new_gradebook(tmp_path / "a" / "gradebook.db")
    with sqlite3.connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert {"assignment", "grade_cells", "alembic_version"} <= tables
        assert db.execute("SELECT COUNT(*) FROM course").fetchone() == (0,)
        (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version  # what `alembic heads` said, so formgrader never migrates it
    with gradebook.opened(gradebook.sqlite_url(path), "any-course") as gb:
        assert gb.course_id == "any-course"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradebook")
    graded = GradingCourse.open(make_course(tmp / "course"), tmp / "graded")
    define_assignment(graded, ASSIGNMENT, tmp / "release")
    with gradebook.opened(graded.db_url, graded.course_id) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=datetime(2030, 1, 1))
    return graded


def test_a_template_holds_the_definition_and_its_due_date(course, tmp_path):
    template = gradebook.sqlite_url(gradebook.new_gradebook(tmp_path / "template.db"))
    gradebook.copy_definition(course.db_url, template, course.course_id, ASSIGNMENT)
    definition = gradebook.definition(template, course.course_id, ASSIGNMENT)
    assert definition == gradebook.definition(course.db_url, course.course_id, ASSIGNMENT)
    assert definition.notebooks == (ASSIGNMENT,)
    assert [(c.name, c.max_score, c.task) for c in definition.cells] == [
        ("test_answer", 2.0, False)]
    with gradebook.opened(template, course.course_id) as gb:
        found = gb.find_assignment(ASSIGNMENT)
        assert found.duedate == datetime(2030, 1, 1)
        assert {c.name for c in found.notebooks[0].source_cells} == {
            "setup", "answer", "test_answer"}


def test_a_students_earlier_state_travels_to_a_job_and_back(course, tmp_path):
    with gradebook.opened(course.db_url, course.course_id) as gb:
        gb.update_or_create_student("ada", first_name="Ada")
        sub = gb.update_or_create_submission(ASSIGNMENT, "ada",
                                             timestamp=datetime(2030, 1, 2))
        sub.extension = timedelta(hours=5)
        grade = gb.find_grade("test_answer", ASSIGNMENT, ASSIGNMENT, "ada")
        grade.manual_score, grade.auto_score = 1.5, 2.0
        gb.find_comment("answer", ASSIGNMENT, ASSIGNMENT, "ada").manual_comment = "nice"
        gb.db.commit()
    states = gradebook.student_states(course.db_url, course.course_id, ASSIGNMENT,
                                      ["ada", "newcomer"])
    assert states["newcomer"] == gradebook.StudentState()
    assert states["ada"].extension == 5 * 3600
    job = gradebook.sqlite_url(gradebook.new_gradebook(tmp_path / "job.db"))
    gradebook.copy_definition(course.db_url, job, course.course_id, ASSIGNMENT)
    gradebook.restore_state(job, course.course_id, ASSIGNMENT, "ada", states["ada"])
    assert gradebook.student_states(job, course.course_id, ASSIGNMENT, ["ada"]) == \
        {"ada": states["ada"]}
    found = gradebook.recorded(job, course.course_id, ASSIGNMENT, "ada")
    assert found.grades == {(ASSIGNMENT, "test_answer"): (2.0, 1.5, None, True)}
    assert found.timestamp == "2030-01-02T00:00:00"
    assert gradebook.recorded(job, course.course_id, ASSIGNMENT, "newcomer") is None
