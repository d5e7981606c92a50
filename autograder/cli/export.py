"""Write grades an LMS imports: Canvas's gradebook CSV, Moodle's grade import CSV, or plain CSV.

    autograder export 01-pickle 04-onnx --format canvas --roster roster.csv --out canvas.csv
    autograder export 01-pickle --format moodle --roster roster.csv --moodle-id username
    autograder export 01-pickle --format csv --course graded

Grades are read from the course's gradebook (its `db_url`, so a PostgreSQL one too), manual
grades included. The roster maps nbgrader student ids to LMS identities (columns: student,
name, lms_id, sis_user_id, sis_login_id, section, email, username; see
autograder.grading.export). Each graded student missing from the roster and each roster entry
with no submission is reported on stderr, one line each. `--canvas-id NAME=ID` gives Canvas's
id of an assignment, so the import updates that assignment instead of creating one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write grades for Canvas, Moodle or a plain CSV, from the gradebook"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignments", nargs="+", metavar="ASSIGNMENT",
                        help="nbgrader assignment names, one column each")
    parser.add_argument("--format", choices=("canvas", "moodle", "csv"), default="csv",
                        help="the LMS's import format (default: csv)")
    parser.add_argument("--roster", type=Path,
                        help="CSV mapping nbgrader student ids to LMS ids (canvas and moodle "
                             "need it)")
    parser.add_argument("--out", type=Path, help="the file to write (default: stdout)")
    parser.add_argument("--course", type=Path, default=Path("."),
                        help="the nbgrader course folder (default: here); a folder graded "
                             "into with `grade --out` works too")
    parser.add_argument("--moodle-id", default="email",
                        choices=("email", "username", "sis_user_id"),
                        help="the roster column Moodle matches students on (default: email)")
    parser.add_argument("--canvas-id", action="append", default=[], metavar="NAME=ID",
                        help="Canvas's id of an assignment (repeatable)")


def run(args) -> int:
    from autograder.cli import UsageError
    from autograder.grading import export
    from autograder.grading.course import GradingCourse

    lms_ids = {}
    for pair in args.canvas_id:
        name, sep, lms_id = pair.partition("=")
        if not sep or not name or not lms_id:
            raise UsageError(f"--canvas-id takes NAME=ID, not '{pair}'")
        lms_ids[name] = lms_id
    course = GradingCourse.open(args.course)
    try:
        roster = export.read_roster(args.roster) if args.roster else None
        grades = export.read_grades(course.db_url, course.course_id, args.assignments, lms_ids)
        done = export.export(grades, roster, export.LmsFormat(args.format), args.moodle_id)
    except export.ExportError as exc:
        raise UsageError(str(exc)) from None
    for student in done.unmatched:
        print(f"not exported: {student} has grades but is not in the roster", file=sys.stderr)
    for student in done.missing:
        print(f"no submission: {student} (in the roster) has none of "
              f"{', '.join(args.assignments)}; their cells are empty", file=sys.stderr)
    if args.out:
        args.out.write_text(done.text, encoding="utf-8")
        where = str(args.out)
    else:
        sys.stdout.write(done.text)
        where = "stdout"
    print(f"{args.format}: {done.rows} students, {len(args.assignments)} assignments -> "
          f"{where}; {len(done.unmatched)} not in the roster, {len(done.missing)} without a "
          f"submission", file=sys.stderr)
    return 0
