"""Merge the workers' outcomes into the main gradebook, one at a time, through nbgrader's API.

Workers never open the main gradebook.db: each wrote to its own copy. Here, in the parent and
single-threaded, each outcome becomes nbgrader's own records (student, submission, one Grade
per grade cell, one Comment per solution cell), exactly what SaveAutoGrades writes, and the
job's autograded notebook and feedback move into the course's autograded/ and feedback/.
A submission that timed out or failed gets 0 in every cell, so every submission has a grade.
Merging the same outcome twice gives the same gradebook.
"""

from __future__ import annotations

import shutil
import warnings
from datetime import datetime
from pathlib import Path

from traitlets.config import Config

from autograder.grading.outcome import GradeOutcome


def merge(outcome: GradeOutcome, config: Config) -> None:
    """Write one outcome into the config's gradebook and move its files into the course."""
    from nbgrader.api import Gradebook

    course = config.CourseDirectory
    # nbgrader's own update_or_create_submission trips SQLAlchemy autoflush warnings (harmless)
    with warnings.catch_warnings(), \
            Gradebook(course.db_url, course.get("course_id", "default_course")) as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_student(outcome.student)
        extra = {"timestamp": datetime.fromisoformat(outcome.timestamp)} \
            if outcome.timestamp else {}
        gb.update_or_create_submission(outcome.assignment, outcome.student, **extra)
        for cell in outcome.cells:
            grade = gb.find_grade(cell.grade_id, cell.notebook, outcome.assignment,
                                  outcome.student)
            # never more than the main gradebook's own maximum for the cell; an answer that
            # waits for a manual grade has no automatic score, as in nbgrader's own autograde
            grade.auto_score = None if cell.needs_manual_grade else \
                min(max(cell.score, 0.0), float(grade.max_score))
            grade.needs_manual_grade = cell.needs_manual_grade
        for notebook, cell_id, text in outcome.comments:
            comment = gb.find_comment(cell_id, notebook, outcome.assignment, outcome.student)
            comment.auto_comment = text
        gb.db.commit()
    move_files(outcome, config)


def move_files(outcome: GradeOutcome, config: Config) -> None:
    """The job's autograded/ and feedback/ folders replace the student's in the course;
    a submission that was not graded leaves none behind from an earlier run."""
    course = config.CourseDirectory
    root = Path(course.root)
    job = Path(outcome.work) / "course" if outcome.work else None
    for kind, default in (("autograded_directory", "autograded"),
                          ("feedback_directory", "feedback")):
        name = course.get(kind, default)
        dest = root / name / outcome.student / outcome.assignment
        if dest.exists():
            _make_writable(dest)
            shutil.rmtree(dest)
        src = job / name / outcome.student / outcome.assignment if job else None
        if outcome.status == "graded" and src is not None and src.is_dir():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(src, dest)


def _make_writable(folder: Path) -> None:
    """nbgrader leaves autograded files read-only (444); the owner may still replace them."""
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
