"""What grading one submission produced: its scores per grade cell, and a reason in one line.

Scores come from the job's own gradebook, where nbgrader's SaveAutoGrades wrote them; the
messages come from the autograded notebook's outputs; the notes say what else the instructor
should know (a locked cell edited or deleted, a cell out of memory or time). Plain frozen
dataclasses, so an outcome pickles across processes (or a Dask cluster) unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.grading.limits import human_bytes
from autograder.grading.sandbox import Isolation

REASON_LENGTH = 400


@dataclass(frozen=True)
class CellResult:
    notebook: str
    grade_id: str
    score: float
    max_score: float
    message: str = ""
    needs_manual_grade: bool = False

    @property
    def status(self) -> str:
        if self.needs_manual_grade:
            return "needs manual grade"
        if self.score >= self.max_score:
            return "passed"
        return "partial" if self.score > 0 else "failed"


@dataclass(frozen=True)
class GradeOutcome:
    """One submission's result. status: graded, timeout (killed at the wall-clock limit),
    killed (the grading process died) or error (nbgrader could not grade it)."""

    assignment: str
    student: str
    status: str
    score: float
    max_score: float
    reason: str
    cells: tuple[CellResult, ...] = ()
    comments: tuple[tuple[str, str, str | None], ...] = ()  # notebook, cell, auto_comment
    notes: tuple[str, ...] = ()
    isolation: Isolation = field(default_factory=Isolation)
    timestamp: str | None = None
    seconds: float = 0.0  # the whole job, as the worker saw it
    execute_seconds: float = 0.0  # of which running the notebooks themselves (kernels included)
    work: str = ""


def first_line(text: str, limit: int = 240) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def last_line(text: str, limit: int = 200) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def read_notebook(path: Path):
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # a broken file is reported by the caller, never raised
        return None


def cell_label(cell, index: int) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index}"


def output_messages(nb) -> dict[str, str]:
    """grade_id -> why the cell failed: its error, or the stderr output nbgrader scores 0."""
    messages = {}
    for cell in nb.cells if nb else []:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        stderr = [o for o in cell.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        if errors:
            error = errors[0]
            evalue = first_line(error.get("evalue", ""))
            messages[grade_id] = f"{error.get('ename')}: {evalue}" if evalue else error.get("ename")
        elif stderr:
            messages[grade_id] = f"wrote to stderr (nbgrader scores that 0): " \
                                 f"{first_line(stderr[0].get('text', ''))}"
    return messages


def limit_notes(nb, memory: int, cell_timeout: int) -> list[str]:
    """Cells that hit the memory or the per-cell time limit, wherever they are."""
    notes = []
    for index, cell in enumerate(nb.cells if nb else []):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "MemoryError":
                notes.append(f"{cell_label(cell, index)} ran out of memory "
                             f"(limit {human_bytes(memory)} per process)")
            elif output.get("ename") == "CellTimeoutError":
                notes.append(f"{cell_label(cell, index)} was stopped at the "
                             f"{cell_timeout} s cell time limit")
    return notes


def locked_cell_changes(submitted, released) -> list[str]:
    """Locked cells of the released notebook that the submission deleted or edited."""
    if submitted is None or released is None:
        return []
    mine = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in submitted.cells}
    notes = []
    for cell in released.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("locked"):
            continue
        theirs = mine.get(meta.get("grade_id"))
        if theirs is None:
            notes.append(f"deleted locked cell {meta['grade_id']} (nbgrader put it back)")
        elif theirs.source.strip() != cell.source.strip():
            notes.append(f"edited locked cell {meta['grade_id']} (nbgrader restored it)")
    return notes


def where_it_stopped(progress: Path) -> str:
    try:
        data = json.loads(progress.read_text())
    except (OSError, ValueError):
        return "before the notebook started"
    return f"while running cell {data['index']}" + (
        f" ({data['grade_id']})" if data.get("grade_id") else "")


def partial(cell: CellResult) -> str:
    return f"{cell.status} ({cell.score:.3g} of {cell.max_score:g} points)"


def summarize(status: str, cells: tuple[CellResult, ...], notes: list[str], detail: str) -> str:
    """The one-line reason shown in the summary table and the outcomes CSV."""
    if status != "graded":
        text = detail
    else:
        tests = [c for c in cells if c.max_score > 0 and not c.needs_manual_grade]
        failed = [c for c in tests if c.status != "passed"]
        if not failed:
            text = f"all {len(tests)} tests passed"
        else:
            first = failed[0]
            text = (f"{len(tests) - len(failed)} of {len(tests)} tests passed; "
                    f"{first.grade_id}: {first.message or partial(first)}")
        manual = [c for c in cells if c.needs_manual_grade]
        if manual:
            text += (f"; {', '.join(c.grade_id for c in manual)} waits for a manual grade "
                     f"({sum(c.max_score for c in manual):g} points)")
    text = "; ".join([*notes, text]) if notes else text
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"
