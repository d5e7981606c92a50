"""Tiny gradebooks built with nbgrader's Gradebook API, for the report and export tests."""

from __future__ import annotations

from pathlib import Path

from autograder.grading.gradebook import new_gradebook, opened, sqlite_url

COURSE_ID = "tiny-course"


def make_gradebook(path: Path, assignments: dict[str, dict[str, float]],
                   scores: dict[tuple[str, str], dict[str, float | None]],
                   manual: dict[tuple[str, str, str], float] | None = None,
                   penalties: dict[tuple[str, str], float] | None = None,
                   course_id: str = COURSE_ID) -> str:
    """assignments: name -> {grade cell: max score} (one notebook named like the assignment);
    scores: (assignment, student) -> {cell: auto score, or None for none yet}; manual:
    (assignment, student, cell) -> manual score; penalties: (assignment, student) -> late
    penalty. Returns the db url."""
    url = sqlite_url(new_gradebook(path))
    with opened(url, course_id) as gb:
        for name, cells in assignments.items():
            gb.update_or_create_assignment(name)
            gb.update_or_create_notebook(name, name)
            for cell, points in cells.items():
                gb.update_or_create_grade_cell(cell, name, name, max_score=points,
                                               cell_type="code")
        for (name, student), cells in scores.items():
            gb.update_or_create_student(student)
            gb.add_submission(name, student)
            for cell, score in cells.items():
                gb.find_grade(cell, name, name, student).auto_score = score
            penalty = (penalties or {}).get((name, student))
            if penalty:
                gb.find_submission_notebook(name, name, student).late_submission_penalty = \
                    penalty
        for (name, student, cell), score in (manual or {}).items():
            gb.find_grade(cell, name, name, student).manual_score = score
        gb.db.commit()
    return url
