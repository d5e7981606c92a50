"""Grades an LMS can import: Canvas's gradebook CSV, Moodle's grade import CSV, or a plain CSV.

    autograder export 01-pickle 04-onnx --format canvas --roster roster.csv --out canvas.csv

Grades come from the gradebook through nbgrader's API (any `db_url`: SQLite or a server), so
manual grades entered in formgrader count. A student's grade for an assignment is what their
feedback page shows: the submission's score (automatic and manual) minus the late penalty.
No submission: an empty cell (both LMSs leave an empty cell's grade as it is).

The roster (a CSV file, one row per student) maps nbgrader student ids to LMS identities:

    student,name,lms_id,sis_user_id,sis_login_id,section,email,username
    ada,Ada Lovelace,1001,S1001,ada@uni.example,Section A,ada@uni.example,ada

Only `student` is required; each format needs its own identity column (below). A graded student
missing from the roster, and a roster entry with no submission, are reported, never silently
dropped (`Export.unmatched`, `Export.missing`).

Formats, as each system documents its import:

- Canvas ("How do I import grades in the Gradebook?", Canvas Instructor Guide,
  https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
  the columns of its own gradebook export, `Student, ID, SIS User ID, SIS Login ID, Section`,
  then one column per assignment headed `Title (ID)` with Canvas's assignment id (a heading
  without an id makes Canvas create the assignment on import), and a `Points Possible` row
  first. Canvas matches students on `ID` (its user id, the roster's `lms_id`), else on the SIS
  ids. The Ohio State University's guide to importing into Canvas grades lists the same
  identity columns and says a new assignment column creates an assignment
  (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades).
- Moodle ("Import grades", Moodle docs, https://docs.moodle.org/en/Import_grades): a CSV with a
  header row, one column identifying the user, mapped on import to a user field ("Email
  address", "Username" or "ID number"), and one column per grade item, mapped to it by name.
  Moodle's own mapping form offers exactly these as "Map to" (`useremail`, `username`,
  `useridnumber`, besides its internal `userid`: grade/import/grade_import_form.php).
- csv: `student`, the roster's name, then one column per assignment (points).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from autograder.grading.gradebook import opened

ROSTER_FIELDS = ("student", "name", "lms_id", "sis_user_id", "sis_login_id", "section",
                 "email", "username")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
# Moodle's identity column for each roster field, as its own grade export names it.
MOODLE_IDENTIFIERS = {"email": "Email address", "username": "Username",
                      "sis_user_id": "ID number"}


class ExportError(Exception):
    """The roster or the gradebook cannot give what the format needs (one line)."""


class LmsFormat(StrEnum):
    CANVAS = "canvas"
    MOODLE = "moodle"
    CSV = "csv"


@dataclass(frozen=True, kw_only=True)
class Person:
    """One roster row: an nbgrader student id and the student's LMS identity."""

    student: str
    name: str = ""
    lms_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    username: str = ""


@dataclass(frozen=True, kw_only=True)
class Assignment:
    name: str
    max_score: float
    lms_id: str = ""  # the LMS's id for it (Canvas's assignment id), when known


@dataclass(frozen=True, kw_only=True)
class Grades:
    assignments: tuple[Assignment, ...]
    # student -> assignment -> score after the late penalty (None: no submission)
    scores: dict[str, dict[str, float | None]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Export:
    text: str  # the file's contents
    rows: int  # students written
    unmatched: tuple[str, ...] = ()  # graded students missing from the roster (not written)
    missing: tuple[str, ...] = ()  # roster entries with no submission of any assignment


def read_roster(path: Path) -> list[Person]:
    """The roster's rows; a one-line ExportError for a missing column or a repeated student."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [name.strip() for name in reader.fieldnames or []]
            rows = list(reader)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the roster ({exc.strerror})") from None
    if "student" not in header:
        raise ExportError(f"{path}: the roster needs a 'student' column (nbgrader's student "
                          f"id); it has {', '.join(header) or 'no header'}")
    people, seen = [], set()
    for line, row in enumerate(rows, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        if not row.get("student"):
            continue
        if row["student"] in seen:
            raise ExportError(f"{path}:{line}: student '{row['student']}' is listed twice")
        seen.add(row["student"])
        people.append(Person(**{key: row.get(key, "") for key in ROSTER_FIELDS}))
    return people


def read_grades(db_url: str, course_id: str, assignments: list[str],
                lms_ids: dict[str, str] | None = None) -> Grades:
    """Every student's score on each assignment, from the gradebook."""
    from nbgrader.api import MissingEntry

    lms_ids = lms_ids or {}
    scores: dict[str, dict[str, float | None]] = {}
    found = []
    with opened(db_url, course_id) as gb:
        for name in assignments:
            try:
                assignment = gb.find_assignment(name)
            except MissingEntry:
                raise ExportError(f"no assignment '{name}' in the gradebook ({db_url}); it "
                                  f"has {', '.join(a.name for a in gb.assignments) or 'none'}"
                                  ) from None
            found.append(Assignment(name=name, max_score=float(assignment.max_score),
                                    lms_id=lms_ids.get(name, "")))
            for sub in assignment.submissions:
                penalty = sub.late_submission_penalty or 0.0
                scores.setdefault(sub.student_id, {})[name] = float(sub.score) - penalty
    return Grades(assignments=tuple(found), scores=scores)


def _points(score: float | None) -> str:
    return "" if score is None else f"{round(score, 2):g}"


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def export(grades: Grades, roster: list[Person] | None, fmt: LmsFormat,
           moodle_identifier: str = "email") -> Export:
    """The file for `fmt`, with who could not be matched either way."""
    if fmt != LmsFormat.CSV and roster is None:
        raise ExportError(f"--format {fmt} needs a roster (--roster ROSTER.csv) to map "
                          f"nbgrader's student ids to {fmt}'s")
    people = roster if roster is not None else [Person(student=s) for s in sorted(grades.scores)]
    listed = {p.student for p in people}
    unmatched = tuple(sorted(set(grades.scores) - listed))
    missing = tuple(p.student for p in people if p.student not in grades.scores)
    names = [a.name for a in grades.assignments]

    def scores(person: Person) -> list[str]:
        return [_points(grades.scores.get(person.student, {}).get(n)) for n in names]

    if fmt == LmsFormat.CANVAS:
        _need(people, ("lms_id", "sis_user_id", "sis_login_id"), "canvas")
        header = [*CANVAS_COLUMNS,
                  *(f"{a.name} ({a.lms_id})" if a.lms_id else a.name
                    for a in grades.assignments)]
        possible = [POINTS_POSSIBLE, "", "", "", "",
                    *(_points(a.max_score) for a in grades.assignments)]
        rows = [[p.name or p.student, p.lms_id, p.sis_user_id, p.sis_login_id, p.section,
                 *scores(p)] for p in people]
        table = [header, possible, *rows]
    elif fmt == LmsFormat.MOODLE:
        if moodle_identifier not in MOODLE_IDENTIFIERS:
            raise ExportError(f"Moodle identifies students by one of "
                              f"{', '.join(MOODLE_IDENTIFIERS)}, not '{moodle_identifier}'")
        _need(people, (moodle_identifier,), "moodle")
        first, last = "First name", "Last name"
        table = [[MOODLE_IDENTIFIERS[moodle_identifier], first, last, *names],
                 *([getattr(p, moodle_identifier), *_split(p.name), *scores(p)]
                   for p in people)]
    else:
        table = [["student", "name", *names], *([p.student, p.name, *scores(p)]
                                                for p in people)]
    return Export(text=_csv(table), rows=len(people), unmatched=unmatched, missing=missing)


def _need(people: list[Person], fields: tuple[str, ...], fmt: str) -> None:
    """Every roster row must identify the student to the LMS."""
    blank = [p.student for p in people if not any(getattr(p, f) for f in fields)]
    if blank:
        raise ExportError(f"{len(blank)} roster entries have no {' or '.join(fields)}, which "
                          f"{fmt} matches students on: {', '.join(blank[:5])}"
                          f"{' ...' if len(blank) > 5 else ''}")


def _split(name: str) -> list[str]:
    first, _, last = name.partition(" ")
    return [first, last]
