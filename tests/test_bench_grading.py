"""bench.grading: stock nbgrader and ours on the same submissions, timed by the same hook."""

import pytest

from bench import grading


def test_differences_name_every_student_whose_grade_differs():
    assert grading.differences({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 2.0}) == []
    assert grading.differences({"a": 1.0, "b": 2.0}, {"a": 1.5, "c": 0.0}) == [
        "a: stock 1.0, ours 1.5", "b: stock 2.0, ours None", "c: stock None, ours 0.0"]


def test_the_stock_course_holds_the_submissions_and_times_notebooks_like_ours(tmp_path):
    submissions = grading.sample_submissions("01-pickle", ("correct", "stubs"),
                                             tmp_path / "class", copies=2)
    names = ["correct", "correct-2", "stubs", "stubs-2"]
    assert sorted(p.name for p in submissions.iterdir()) == names
    assert (submissions / "stubs-2" / "01-pickle.ipynb").read_bytes() == \
        (submissions / "stubs" / "01-pickle.ipynb").read_bytes()
    course = grading.stock_course("01-pickle", submissions, tmp_path)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == names
    assert (course / "submitted" / "stubs" / "01-pickle" / "01-pickle.ipynb").is_file()
    assert "use_timed_execute(c, " in (course / "nbgrader_config.py").read_text()
    assert (course / "lessons" / "01-pickle" / "01-pickle.ipynb").is_file()  # released
    assert grading.gradebook_scores(course, "01-pickle") == {}  # nothing graded yet


@pytest.mark.notebook
def test_a_quick_run_grades_one_submission_three_ways_with_the_same_grade():
    section = grading.run(quick=True)
    rows = {m.name: m for m in section.measurements}
    for mode in ("identical work", "quick mode"):
        assert rows[f"speed-up {'on' if mode == 'identical work' else 'with'} {mode} "
                    "(stock time / ours)"].values[0] > 0
    overhead = rows["ours: overhead per submission beyond its notebook's run"]
    assert overhead.n == 1 and overhead.values[0] > 0
    assert all(m.n >= 1 for m in section.measurements)
    assert any("in every repetition, in both modes: yes" in note for note in section.notes)


def test_graded_lessons_are_those_with_a_graded_cell():
    lessons = grading.graded_lessons()
    assert "01-pickle" in lessons and "07-capstone" in lessons
    assert "00-start" not in lessons and "08-self-assessment" not in lessons


def test_a_lesson_row_is_quick_modes_whole_job_over_the_full_run():
    from autograder.grading.reference import Reference

    measured = {"01-x": {True: Reference(cpu_seconds=9, wall_seconds=10, execute_seconds=8),
                         False: Reference(cpu_seconds=19, wall_seconds=21, execute_seconds=20)},
                "02-y": {True: None, False: Reference(cpu_seconds=1, wall_seconds=1)}}
    [row] = grading.lesson_rows(measured)
    assert row.name.startswith("01-x:") and row.values == (0.5,) and row.goal == 0.5
    assert "10.0 s job / 20.0 s run" in row.note
