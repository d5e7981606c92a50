"""What grading one submission produced: its scores per cell, and a reason in one line.

Scores come from the job's own gradebook, where nbgrader's SaveAutoGrades and
AssignLatePenalties wrote them; the messages come from the autograded notebook's outputs; the
notes say what else the instructor should know (a locked cell edited or deleted, a cell out of
memory or time). Plain frozen dataclasses, so an outcome pickles across processes (or a Dask
cluster) unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade

from autograder.common.text import first_line, last_line, shorten
from autograder.common.units import duration, size
from autograder.grading.sandbox import Isolation

__all__ = ["CellResult", "CellStatus", "GradeOutcome", "GradeStatus", "first_line",
           "last_line"]

REASON_LENGTH = 400


class GradeStatus(StrEnum):
    """How grading one submission ended. Feedback exists exactly when it is GRADED."""

    GRADED = "graded"  # nbgrader autograded it and wrote its feedback
    TIMEOUT = "timeout"  # stopped at the CPU-time or wall-clock limit, on a retry too
    KILLED = "killed"  # the grading process died (a signal, a lost worker)
    ERROR = "error"  # nbgrader could not grade it, or its feedback failed


class CellStatus(StrEnum):
    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    MANUAL = "needs manual grade"  # an answer or task graded by hand, or a deleted test cell
    NOT_GRADED = "not graded"  # the submission was not graded (timeout, error...)


@dataclass(frozen=True, kw_only=True)
class CellResult:
    """One grade or task cell of one submission, as nbgrader recorded it."""

    notebook: str
    grade_id: str
    score: float  # what counts: the automatic score, 0 when there is none
    max_score: float
    auto_score: float | None = None  # nbgrader's own value (None: waits for a manual grade)
    needs_manual_grade: bool = False
    task: bool = False  # a task cell: always graded by hand
    graded: bool = True  # False when the submission itself was not graded
    message: str = ""

    @property
    def status(self) -> CellStatus:
        if not self.graded:
            return CellStatus.NOT_GRADED
        if self.needs_manual_grade:
            return CellStatus.MANUAL
        if self.score >= self.max_score:
            return CellStatus.PASSED
        return CellStatus.PARTIAL if self.score > 0 else CellStatus.FAILED


@dataclass(frozen=True, kw_only=True)
class GradeOutcome:
    """One submission's result: scores as nbgrader recorded them, and why, in one line."""

    assignment: str
    student: str
    status: GradeStatus
    score: float  # nbgrader's final score: cells minus the late penalty
    max_score: float
    reason: str
    cells: tuple[CellResult, ...] = ()
    comments: tuple[tuple[str, str, str | None], ...] = ()  # notebook, cell, auto_comment
    penalties: tuple[tuple[str, float | None], ...] = ()  # notebook, late_submission_penalty
    notes: tuple[str, ...] = ()
    stopped_cells: tuple[str, ...] = ()  # cells interrupted at the per-cell time limit
    isolation: Isolation = field(default_factory=Isolation)
    timestamp: str | None = None
    seconds: float = 0.0  # the whole job, as the worker saw it
    execute_seconds: float = 0.0  # of which running the notebooks themselves (kernels included)
    cpu_seconds: float = 0.0  # CPU time of the whole job (runner, kernel, their children)
    attempts: int = 1  # 2 when a timeout in the batch was graded again afterwards
    autograded: str = ""  # the job's autograded and feedback folders, merged when graded
    feedback: str = ""
    work: str = ""

    @property
    def timed_out(self) -> bool:
        """Stopped at a time limit, the submission's or a cell's: what a busy machine can cause."""
        return self.status == GradeStatus.TIMEOUT or bool(self.stopped_cells)

    @property
    def flagged(self) -> bool:
        """For the instructor to look at: not graded, or stopped at a time limit."""
        return self.status != GradeStatus.GRADED or self.timed_out

    @property
    def late_penalty(self) -> float:
        return sum(p or 0.0 for _, p in self.penalties)


def read_notebook(path: Path):
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # a broken file is reported by the caller, never raised
        return None


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_label(cell, index: int) -> str:
    return grade_id(cell) or f"cell {index}"


def output_messages(nb) -> dict[str, str]:
    """grade_id -> why the cell failed: its error, or the stderr output nbgrader scores 0."""
    messages = {}
    for cell in nb.cells if nb else []:
        if not is_grade(cell) or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        stderr = [o for o in cell.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        if errors:
            error = errors[0]
            evalue = first_line(error.get("evalue", ""))
            messages[grade_id(cell)] = f"{error.get('ename')}: {evalue}" if evalue \
                else error.get("ename")
        elif stderr:
            messages[grade_id(cell)] = f"wrote to stderr (nbgrader scores that 0): " \
                                       f"{first_line(stderr[0].get('text', ''))}"
    return messages


def limit_hits(nb) -> list[tuple[str, str]]:
    """(cell, "memory" or "time") for each cell that hit the memory or the per-cell time
    limit, wherever it is in the notebook."""
    kinds = {"MemoryError": "memory", "CellTimeoutError": "time"}
    return [(cell_label(cell, index), kinds[output.get("ename")])
            for index, cell in enumerate(nb.cells if nb else [])
            for output in cell.get("outputs", [])
            if output.get("output_type") == "error" and output.get("ename") in kinds]


def limit_note(cell: str, kind: str, memory: int, cell_timeout: int | None) -> str:
    if kind == "memory":
        return f"{cell} ran out of memory (limit {size(memory, binary=True)} per process)"
    return f"{cell} was stopped at the {cell_timeout:g} s cell time limit"


def locked_cell_changes(submitted, locked: list[tuple[str, bool, str]],
                        put_back: bool) -> list[str]:
    """Locked cells the submission deleted or edited. `locked`: (grade_id, is a test cell,
    the source students received); `put_back`: the course's OverwriteCells.add_missing_cells."""
    mine = {grade_id(c): c for c in submitted.cells if grade_id(c)}
    notes = []
    for name, test, released in locked:
        theirs = mine.get(name)
        if theirs is None and test:
            notes.append(f"deleted test cell {name} (nbgrader put it back)" if put_back else
                         f"deleted test cell {name} (no automatic score: nbgrader leaves it "
                         f"for a manual grade)")
        elif theirs is None:
            notes.append(f"deleted locked cell {name}")
        elif theirs.source.strip() != released.strip():
            notes.append(f"edited locked cell {name} (nbgrader restored it)")
    return notes


def where_it_stopped(progress: Path) -> str:
    try:
        data = json.loads(progress.read_text())
    except (OSError, ValueError):
        return "before the notebook started"
    where = f"while running cell {data['index']}"
    if data.get("grade_id"):
        where += f" ({data['grade_id']})"
    return where + (f" of {data['notebook']}" if data.get("notebook") else "")


def timeout_detail(kind: str, limit: float, cpu: float, wall: float, where: str) -> str:
    """Which limit stopped it, where, and what it had used by then."""
    return (f"stopped at the {duration(limit)} {kind} limit {where} "
            f"(used {duration(cpu)} CPU in {duration(wall)})")


def partial(cell: CellResult) -> str:
    return f"{cell.status} ({cell.score:.3g} of {cell.max_score:g} points)"


def summarize(status: GradeStatus, cells: tuple[CellResult, ...], notes: list[str],
              detail: str, late_penalty: float = 0.0) -> str:
    """The one-line reason shown in the summary table and the outcomes CSV."""
    if status != GradeStatus.GRADED:
        text = detail
    else:
        tests = [c for c in cells if c.max_score > 0 and not c.needs_manual_grade]
        failed = [c for c in tests if c.status != CellStatus.PASSED]
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
        if late_penalty:
            text += f"; late: {late_penalty:g} points off"
    text = "; ".join([*notes, text]) if notes else text
    return shorten(text, REASON_LENGTH)
