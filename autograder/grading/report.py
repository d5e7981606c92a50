"""What the instructor gets: nbgrader's grades.csv, per-cell and per-submission CSVs, a table.

grades.csv is nbgrader's own export (its CsvExportPlugin over the merged gradebook), so it is
what `nbgrader export` would write. The other two are ours:
- ASSIGNMENT-cells.csv: one row per student per grade cell, with why a cell failed;
- ASSIGNMENT-outcomes.csv: one row per submission: status, score, reason, time, sandbox.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from traitlets.config import Config

from autograder.grading.outcome import GradeOutcome

CELL_COLUMNS = ["assignment", "student", "notebook", "grade_id", "score", "max_score",
                "status", "message"]
OUTCOME_COLUMNS = ["assignment", "student", "status", "score", "max_score", "reason",
                   "seconds", "execute_seconds", "network", "processes", "files"]


def export_grades(config: Config, path: Path) -> Path:
    """nbgrader's CSV export of the whole gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    course = config.CourseDirectory
    plugin = CsvExportPlugin(config=config)
    plugin.to = str(path)
    with Gradebook(course.db_url, course.get("course_id", "default_course")) as gb:
        plugin.export(gb)
    return Path(path)


def _write_csv(path: Path, columns, rows) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return Path(path)


def write_cells(outcomes: Iterable[GradeOutcome], path: Path) -> Path:
    rows = ([o.assignment, o.student, c.notebook, c.grade_id, _number(c.score),
             _number(c.max_score), c.status, c.message]
            for o in sorted(outcomes, key=lambda o: o.student) for c in o.cells)
    return _write_csv(path, CELL_COLUMNS, rows)


def write_outcomes(outcomes: Iterable[GradeOutcome], path: Path) -> Path:
    rows = ([o.assignment, o.student, o.status, _number(o.score), _number(o.max_score),
             o.reason, f"{o.seconds:.1f}", f"{o.execute_seconds:.1f}", o.isolation.network,
             o.isolation.processes, o.isolation.files]
            for o in sorted(outcomes, key=lambda o: o.student))
    return _write_csv(path, OUTCOME_COLUMNS, rows)


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
        reason = o.reason if len(o.reason) <= width else o.reason[: width - 1] + "…"
        row = [o.student, f"{o.score:.2f}/{o.max_score:g}", o.status, f"{o.seconds:.0f} s",
               reason]
        if expected is not None:
            problem = expected.get(o.student, "")
            row.insert(3, "ok" if not problem else "DIFFERS")
        rows.append(row)
    return table(rows, header)
