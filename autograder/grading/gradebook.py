"""What grading reads from and writes to nbgrader gradebooks, all through nbgrader's own API.

A job never opens the course's gradebook (SQLite takes one writer at a time, and the course's
may be a PostgreSQL server). Instead the parent gives it
- a template: an SQLite gradebook holding only the assignment's definition (its due date,
  notebooks, grade, solution, task and source cells), copied from the course's gradebook;
- the student's state there (`StudentState`: their record, their earlier submission with its
  timestamp, extension, manual scores and comments), which the job writes into its copy.

So nbgrader's Autograde sees in the job exactly what it would see in the course: a regrade
keeps the manual grades, a late penalty counts the extension, a missing student may be refused.
Afterwards `recorded` reads back what Autograde wrote, and `merge` writes it into the course.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import warnings
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

STUDENT_FIELDS = ("first_name", "last_name", "email", "lms_user_id")
DEFAULT_COURSE_ID = "default_course"  # nbgrader's


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).absolute()}"


@contextmanager
def opened(url: str, course_id: str):
    """nbgrader's Gradebook; its update_or_create_* trip harmless SQLAlchemy autoflush warnings."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(url, course_id) as gb:
        warnings.simplefilter("ignore")
        yield gb


def cache_folder() -> Path:
    """Where grading keeps what it makes or measures once per machine."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autograder"


def empty_gradebook() -> Path:
    """A gradebook with nbgrader's tables and nothing in them, made once per machine and
    nbgrader version: nbgrader makes a new one by running `alembic heads` in a subprocess
    (1-3 s, more on a busy machine)."""
    from nbgrader import __version__

    empty = cache_folder() / f"empty-gradebook-{__version__}.db"
    if not empty.exists():
        empty.parent.mkdir(parents=True, exist_ok=True)
        tmp = empty.with_name(f".{empty.name}.{os.getpid()}.tmp")
        with opened(sqlite_url(tmp), DEFAULT_COURSE_ID):
            pass
        with sqlite3.connect(tmp) as db:  # no course: it is added by whoever opens it
            db.execute("DELETE FROM course")
        tmp.replace(empty)  # whole or not at all, should a run be stopped half-way
    return empty


def new_gradebook(path: Path) -> Path:
    """An empty gradebook at `path`, copied from `empty_gradebook()`."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_gradebook(), path)
    return Path(path)


def new_server_gradebook(url: str) -> None:
    """nbgrader's tables in a database server's database that has none, stamped with the
    schema version as nbgrader stamps a new gradebook; the version is read from
    `empty_gradebook()` rather than from nbgrader's `alembic heads` subprocess."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        if inspect(engine).get_table_names():
            return
        with closing(sqlite3.connect(empty_gradebook())) as db:
            head = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        Base.metadata.create_all(bind=engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version "
                              "(version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                         {"head": head})
    finally:
        engine.dispose()


def has_assignment(url: str, course_id: str, assignment: str) -> bool:
    """Whether the gradebook defines the assignment with at least one notebook."""
    from nbgrader.api import MissingEntry

    with opened(url, course_id) as gb:
        try:
            return bool(gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            return False


def copy_definition(source_url: str, target_url: str, course_id: str, assignment: str) -> None:
    """The assignment's definition, as generate_assignment recorded it, into another gradebook."""
    with opened(source_url, course_id) as src, opened(target_url, course_id) as dst:
        found = src.find_assignment(assignment)
        dst.update_or_create_assignment(assignment, duedate=found.duedate)
        for nb in found.notebooks:
            dst.update_or_create_notebook(nb.name, assignment, kernelspec=nb.kernelspec)
            for cell in nb.source_cells:
                dst.update_or_create_source_cell(
                    cell.name, nb.name, assignment, cell_type=cell.cell_type,
                    locked=cell.locked, source=cell.source, checksum=cell.checksum)
            for cell in nb.grade_cells:
                dst.update_or_create_grade_cell(cell.name, nb.name, assignment,
                                                max_score=cell.max_score,
                                                cell_type=cell.cell_type)
            for cell in nb.solution_cells:
                dst.update_or_create_solution_cell(cell.name, nb.name, assignment)
            for cell in nb.task_cells:
                dst.update_or_create_task_cell(cell.name, nb.name, assignment,
                                               max_score=cell.max_score,
                                               cell_type=cell.cell_type)


@dataclass(frozen=True, kw_only=True)
class Cell:
    notebook: str
    name: str
    max_score: float
    task: bool = False


@dataclass(frozen=True, kw_only=True)
class Definition:
    notebooks: tuple[str, ...]
    cells: tuple[Cell, ...]  # grade cells, then task cells, notebook by notebook


def definition(url: str, course_id: str, assignment: str) -> Definition:
    with opened(url, course_id) as gb:
        found = gb.find_assignment(assignment)
        cells = [Cell(notebook=nb.name, name=c.name, max_score=float(c.max_score), task=task)
                 for nb in found.notebooks
                 for task, kind in ((False, nb.grade_cells), (True, nb.task_cells))
                 for c in kind]
        return Definition(notebooks=tuple(nb.name for nb in found.notebooks),
                          cells=tuple(cells))


@dataclass(frozen=True, kw_only=True)
class StudentState:
    """A student's record and earlier submission of one assignment, as plain data."""

    student: tuple[tuple[str, str | None], ...] | None = None  # None: not in the gradebook
    timestamp: str | None = None  # ISO, naive UTC as nbgrader stores it
    extension: float | None = None  # seconds of extra time granted
    submitted: bool = False
    # notebook, cell, auto_score, manual_score, extra_credit, needs_manual_grade
    grades: tuple[tuple[str, str, float | None, float | None, float | None, bool], ...] = ()
    comments: tuple[tuple[str, str, str | None, str | None], ...] = ()  # nb, cell, auto, manual
    flagged: tuple[tuple[str, bool], ...] = ()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def student_states(url: str, course_id: str, assignment: str,
                   students: list[str]) -> dict[str, StudentState]:
    """Each student's record and earlier submission, read in one session."""
    from nbgrader.api import MissingEntry

    states = {}
    with opened(url, course_id) as gb:
        for student in students:
            try:
                record = gb.find_student(student)
            except MissingEntry:
                states[student] = StudentState()
                continue
            fields = tuple((name, getattr(record, name)) for name in STUDENT_FIELDS)
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                states[student] = StudentState(student=fields)
                continue
            states[student] = StudentState(
                student=fields, timestamp=_iso(sub.timestamp),
                extension=sub.extension.total_seconds() if sub.extension else None,
                submitted=True,
                grades=tuple((nb.name, g.name, g.auto_score, g.manual_score, g.extra_credit,
                              bool(g.needs_manual_grade))
                             for nb in sub.notebooks for g in nb.grades),
                comments=tuple((nb.name, c.name, c.auto_comment, c.manual_comment)
                               for nb in sub.notebooks for c in nb.comments),
                flagged=tuple((nb.name, bool(nb.flagged)) for nb in sub.notebooks))
    return states


def restore_state(url: str, course_id: str, assignment: str, student: str,
                  state: StudentState) -> None:
    """Write a student's state, read from one gradebook, into another with the same definition."""
    if state.student is None:
        return
    with opened(url, course_id) as gb:
        gb.update_or_create_student(student, **dict(state.student))
        if not state.submitted:
            return
        extra = {"timestamp": _datetime(state.timestamp)} if state.timestamp else {}
        sub = gb.update_or_create_submission(assignment, student, **extra)
        sub.extension = None if state.extension is None else timedelta(seconds=state.extension)
        for nb, cell, auto, manual, extra_credit, needs in state.grades:
            grade = gb.find_grade(cell, nb, assignment, student)
            grade.auto_score, grade.manual_score = auto, manual
            grade.extra_credit, grade.needs_manual_grade = extra_credit, needs
        for nb, cell, auto, manual in state.comments:
            comment = gb.find_comment(cell, nb, assignment, student)
            comment.auto_comment, comment.manual_comment = auto, manual
        for nb, flagged in state.flagged:
            gb.find_submission_notebook(nb, assignment, student).flagged = flagged
        gb.db.commit()


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """What nbgrader's Autograde wrote for one submission."""

    # (notebook, cell) -> auto_score, manual_score, extra_credit, needs_manual_grade
    grades: dict[tuple[str, str], tuple[float | None, float | None, float | None, bool]]
    comments: tuple[tuple[str, str, str | None], ...]  # nb, cell, auto_comment
    penalties: tuple[tuple[str, float | None], ...]  # nb, late_submission_penalty
    timestamp: str | None


def recorded(url: str, course_id: str, assignment: str, student: str) -> Recorded | None:
    from nbgrader.api import MissingEntry

    with opened(url, course_id) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        return Recorded(
            grades={(nb.name, g.name): (g.auto_score, g.manual_score, g.extra_credit,
                                        bool(g.needs_manual_grade))
                    for nb in sub.notebooks for g in nb.grades},
            comments=tuple((nb.name, c.name, c.auto_comment)
                           for nb in sub.notebooks for c in nb.comments),
            penalties=tuple((nb.name, nb.late_submission_penalty) for nb in sub.notebooks),
            timestamp=_iso(sub.timestamp))
