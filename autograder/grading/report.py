"""What the instructor gets: nbgrader's grades.csv, per-cell and per-submission CSVs, a table.

grades.csv is nbgrader's own export (its CsvExportPlugin over the merged gradebook), so it is
what `nbgrader export` would write. The other two are ours:
- ASSIGNMENT-cells.csv: one row per student per grade and task cell, with why a cell failed;
- ASSIGNMENT-outcomes.csv: one row per submission: status, score, late penalty, whether it is
  flagged for the instructor, reason, time, CPU time, attempts, sandbox.
Both keep the rows of students not graded this time (`--student`, or already autograded), so
they always describe each student's latest grading.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from autograder.common.text import shorten
from autograder.common.units import duration
from autograder.grading.course import GradingCourse
from autograder.grading.gradebook import opened
from autograder.grading.outcome import GradeOutcome

CELL_COLUMNS = ["assignment", "student", "notebook", "grade_id", "kind", "score",
                "max_score", "status", "message"]
OUTCOME_COLUMNS = ["assignment", "student", "status", "score", "max_score", "late_penalty",
                   "flagged", "reason", "seconds", "execute_seconds", "cpu_seconds",
                   "attempts", "network", "processes", "files"]


def export_grades(course: GradingCourse, path: Path) -> Path:
    """nbgrader's CSV export of the whole gradebook."""
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(config=course.config)
    plugin.to = str(path)
    with opened(course.db_url, course.course_id) as gb:
        plugin.export(gb)
    return Path(path)


def _write_csv(path: Path, columns: list[str], rows: list[list], replaced: set[str]) -> Path:
    """Write the rows, after the earlier file's rows of other students (column 1: student)."""
    kept = []
    if Path(path).is_file():
        with open(path, newline="") as f:
            earlier = list(csv.reader(f))
        if earlier and earlier[0] == columns:
            kept = [row for row in earlier[1:] if len(row) > 1 and row[1] not in replaced]
    rows = sorted(kept + [[str(x) for x in row] for row in rows], key=lambda r: r[1])
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return Path(path)


def write_cells(outcomes: Iterable[GradeOutcome], path: Path) -> Path:
    outcomes = list(outcomes)
    rows = [[o.assignment, o.student, c.notebook, c.grade_id, "task" if c.task else "grade",
             _number(c.score), _number(c.max_score), c.status, c.message]
            for o in outcomes for c in o.cells]
    return _write_csv(path, CELL_COLUMNS, rows, {o.student for o in outcomes})


def write_outcomes(outcomes: Iterable[GradeOutcome], path: Path) -> Path:
    outcomes = list(outcomes)
    rows = [[o.assignment, o.student, o.status, _number(o.score), _number(o.max_score),
             _number(o.late_penalty), "yes" if o.flagged else "", o.reason, f"{o.seconds:.1f}",
             f"{o.execute_seconds:.1f}", f"{o.cpu_seconds:.1f}", o.attempts,
             o.isolation.network, o.isolation.processes, o.isolation.files]
            for o in outcomes]
    return _write_csv(path, OUTCOME_COLUMNS, rows, {o.student for o in outcomes})


def _number(x: float) -> str:
    return f"{x:.6g}"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:{'>' if h in ('score', 'time') else '<'}{w}}}"
                    for h, w in zip(header, widths, strict=True))
    return "\n".join([fmt.format(*header), line, *(fmt.format(*map(str, r)) for r in rows)])


def summary(outcomes: Iterable[GradeOutcome], expected: dict[str, str] | None = None,
            width: int = 80) -> str:
    """A readable table, one submission a line; with `expected` (student -> '' if as
    expected, else what differs), a check column for the sample class."""
    outcomes = sorted(outcomes, key=lambda o: o.student)
    header = ["student", "score", "status", "time", "reason"]
    if expected is not None:
        header.insert(3, "check")
    rows = []
    for o in outcomes:
        row = [o.student, f"{o.score:.2f}/{o.max_score:g}", o.status + ("*" if o.flagged else ""),
               duration(o.seconds), shorten(o.reason, width)]
        if expected is not None:
            problem = expected.get(o.student, "")
            row.insert(3, "ok" if not problem else "DIFFERS")
        rows.append(row)
    return table(rows, header)
