"""Merge the workers' outcomes into the course's gradebook, one at a time, through nbgrader's API.

Workers never open the course's gradebook: each wrote to its own copy. Here, in the parent and
single-threaded, each outcome becomes nbgrader's own records, exactly what stock autograde
writes: the student, the submission and its timestamp, each cell's automatic score and
needs_manual_grade flag, the automatic comments, each notebook's late penalty. Manual grades
and comments are never touched. The job's autograded notebooks and feedback move into the
course's autograded/ and feedback/.

A submission that was not graded (a timeout on its retry too, an error, a kill) keeps no
automatic score: every cell waits for a manual grade and its notebooks are flagged, so
formgrader shows it to the instructor instead of a silent 0. Merging the same outcome twice
gives the same gradebook.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from autograder.grading.course import GradingCourse
from autograder.grading.gradebook import opened
from autograder.grading.outcome import GradeOutcome, GradeStatus


def merge(outcomes: Iterable[GradeOutcome], course: GradingCourse,
          on_merged: Callable[[GradeOutcome], None] | None = None) -> None:
    """Write the outcomes into the course's gradebook, and move their files into the course;
    `on_merged` hears of each outcome once it is in (a journal keeps count for a resume)."""
    with opened(course.db_url, course.course_id) as gb:
        for outcome in outcomes:
            record(gb, outcome)
            move_files(outcome, course)
            if on_merged:
                on_merged(outcome)


def record(gb, outcome: GradeOutcome) -> None:
    """One outcome as nbgrader's records, committed."""
    a, student = outcome.assignment, outcome.student
    graded = outcome.status == GradeStatus.GRADED
    gb.update_or_create_student(student)
    extra = {"timestamp": datetime.fromisoformat(outcome.timestamp)} \
        if outcome.timestamp else {}
    gb.update_or_create_submission(a, student, **extra)
    for cell in outcome.cells:
        grade = gb.find_grade(cell.grade_id, cell.notebook, a, student)
        # never more than the course gradebook's own maximum for the cell
        grade.auto_score = None if not graded or cell.auto_score is None else \
            min(max(cell.auto_score, 0.0), float(grade.max_score))
        grade.needs_manual_grade = cell.needs_manual_grade if graded else True
    for notebook, cell_id, text in outcome.comments if graded else ():
        gb.find_comment(cell_id, notebook, a, student).auto_comment = text
    penalties = dict(outcome.penalties)
    for notebook in {c.notebook for c in outcome.cells}:
        submitted = gb.find_submission_notebook(notebook, a, student)
        submitted.late_submission_penalty = penalties.get(notebook) if graded else None
        submitted.flagged = submitted.flagged or outcome.flagged
    gb.db.commit()


def move_files(outcome: GradeOutcome, course: GradingCourse) -> None:
    """The job's autograded/ and feedback/ folders replace the student's in the course;
    a submission that was not graded leaves none behind from an earlier run."""
    for step, source in (("autograded_directory", outcome.autograded),
                         ("feedback_directory", outcome.feedback)):
        dest = course.path(step, outcome.student, outcome.assignment)
        if dest.exists():
            _make_writable(dest)
            shutil.rmtree(dest)
        if outcome.status == GradeStatus.GRADED and source and Path(source).is_dir():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, dest)


def _make_writable(folder: Path) -> None:
    """nbgrader leaves autograded files read-only (444); the owner may still replace them."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
