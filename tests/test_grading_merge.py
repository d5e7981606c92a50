"""autograder.grading.merge: outcomes become exactly the records stock autograde writes."""

import pytest
from grading_course import ASSIGNMENT, make_course

from autograder.grading.course import GradingCourse, define_assignment
from autograder.grading.gradebook import opened
from autograder.grading.merge import merge
from autograder.grading.outcome import CellResult, GradeOutcome, GradeStatus


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """One gradebook for the module: each test uses students of its own."""
    tmp = tmp_path_factory.mktemp("merge")
    graded = GradingCourse.open(make_course(tmp / "course"), tmp / "graded")
    define_assignment(graded, ASSIGNMENT, tmp / "release")
    return graded


def outcome(student, auto, status=GradeStatus.GRADED, needs=False, **rest):
    cell = CellResult(notebook=ASSIGNMENT, grade_id="test_answer", score=auto or 0.0,
                      max_score=2.0, auto_score=auto, needs_manual_grade=needs,
                      graded=status == GradeStatus.GRADED)
    return GradeOutcome(assignment=ASSIGNMENT, student=student, status=status,
                        score=auto or 0.0, max_score=2.0, reason=f"reason {student}",
                        cells=(cell,), comments=((ASSIGNMENT, "answer", None),), **rest)


def stored(course, student):
    with opened(course.db_url, course.course_id) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        nb = sub.notebooks[0]
        grade = nb.grades[0]
        return (sub.score - sub.late_submission_penalty, grade.auto_score,
                grade.needs_manual_grade, nb.flagged, nb.late_submission_penalty)


def test_merge_writes_nbgrader_records_and_is_idempotent(course):
    merge([outcome("ann", 2.0)], course)
    first = stored(course, "ann")
    assert first == (2.0, 2.0, False, False, None)
    merge([outcome("ann", 2.0)], course)
    assert stored(course, "ann") == first


def test_merge_never_gives_more_than_the_cell_is_worth(course):
    merge([outcome("eve", 99.0)], course)
    assert stored(course, "eve")[:2] == (2.0, 2.0)


def test_the_late_penalty_is_recorded_per_notebook(course):
    merge([outcome("lee", 2.0, penalties=((ASSIGNMENT, 1.0),),
                   timestamp="2030-01-01T00:00:00")], course)
    assert stored(course, "lee") == (1.0, 2.0, False, False, 1.0)


def test_an_answer_waiting_for_a_manual_grade_keeps_no_automatic_score(course):
    merge([outcome("hal", None, needs=True)], course)
    assert stored(course, "hal") == (0.0, None, True, False, None)


def test_a_submission_that_was_not_graded_is_flagged_for_a_manual_grade(course):
    merge([outcome("ben", 2.0)], course)
    merge([outcome("ben", None, status=GradeStatus.TIMEOUT)], course)
    assert stored(course, "ben") == (0.0, None, True, True, None)


def test_manual_grades_and_comments_are_never_touched(course):
    merge([outcome("max", 0.0)], course)
    with opened(course.db_url, course.course_id) as gb:
        gb.find_grade("test_answer", ASSIGNMENT, ASSIGNMENT, "max").manual_score = 1.5
        gb.find_comment("answer", ASSIGNMENT, ASSIGNMENT, "max").manual_comment = "see me"
        gb.db.commit()
    merge([outcome("max", 2.0)], course)
    with opened(course.db_url, course.course_id) as gb:
        assert gb.find_grade("test_answer", ASSIGNMENT, ASSIGNMENT, "max").score == 1.5
        assert gb.find_comment("answer", ASSIGNMENT, ASSIGNMENT, "max").comment == "see me"


def test_merge_moves_feedback_and_clears_stale_files(course, tmp_path):
    feedback = tmp_path / "job" / "feedback"
    feedback.mkdir(parents=True)
    (feedback / f"{ASSIGNMENT}.html").write_text("<html>")
    merge([outcome("fay", 2.0, feedback=str(feedback))], course)
    dest = course.path("feedback_directory", "fay", ASSIGNMENT) / f"{ASSIGNMENT}.html"
    assert dest.read_text() == "<html>"
    merge([outcome("fay", None, status=GradeStatus.TIMEOUT, feedback=str(feedback))], course)
    assert not dest.exists()
