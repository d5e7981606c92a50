"""Course execution: each solution notebook's wall time, and the total.

Each notebook is run the way `make check` and the tests validate it
(`autograder.course.authoring.validate`): nbgrader's Validator on a temporary copy of its
folder, with a fresh kernel, every cell executed and every grade cell checked. The time is that
whole call, kernel start-up included, which is what a learner's "Restart and run all" or an
instructor's validation costs.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.common.text import error_line
from bench.core import Measurement, Section, progress

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # tracebacks from the kernel are coloured
EACH_GOAL = 60.0  # seconds per notebook
TOTAL_GOAL = 300.0  # seconds for the whole course


def solution_notebooks(root: Path = ROOT) -> list[Path]:
    from autograder.course.authoring import assignment_ids

    return [root / "solutions" / a / f"{a}.ipynb" for a in assignment_ids(root)]


def tiny_notebook(folder: Path) -> Path:
    """A two-cell notebook with one nbgrader test cell, for quick mode."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    code = nbformat.v4.new_code_cell("total = sum(range(10))")
    test = nbformat.v4.new_code_cell('"""The sum is right."""\nassert total == 45')
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "tiny-test", "locked": True,
                                 "points": 1, "schema_version": 3, "solution": False,
                                 "task": False}
    notebook.cells = [code, test]
    path = folder / "00-tiny" / "00-tiny.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


def time_notebook(path: Path) -> tuple[float, str]:
    """(seconds, problem): validate the notebook as the course's checks do."""
    from autograder.course.authoring import validate

    start = time.perf_counter()
    try:
        result = validate(path)
    except Exception as exc:  # a broken notebook is a row's note, not a crashed section
        return time.perf_counter() - start, error_line(exc)
    problem = "" if result.ok else f"{len(result.problems)} problem(s), first: " \
        f"{ANSI.sub('', result.problems[0])}"
    return result.seconds if result.ok else time.perf_counter() - start, problem


def measure(notebooks: list[Path]) -> tuple[list[Measurement], list[str]]:
    rows, notes, total = [], [], 0.0
    for i, path in enumerate(notebooks, 1):
        progress(f"course: {path.stem} ({i} of {len(notebooks)})")
        seconds, problem = time_notebook(path)
        total += seconds
        note = "all tests pass, no stderr" if not problem else f"FAILED: {problem[:120]}"
        rows.append(Measurement(path.stem, "s", (seconds,), goal=EACH_GOAL, note=note))
        if problem:
            notes.append(f"`{path.stem}` did not validate cleanly: {problem}")
    if rows:
        plural = "s" * (len(rows) > 1)
        rows.append(Measurement(f"whole course ({len(rows)} notebook{plural})", "s", (total,),
                                goal=TOTAL_GOAL, note="sum of the rows above, run one by one"))
    return rows, notes


def run(quick: bool = False) -> Section:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        notebooks = [tiny_notebook(Path(tmp))] if quick else solution_notebooks()
        rows, notes = measure(notebooks)
    intro = f"""
Each solution notebook in `solutions/` was executed once, one after the other, the way
`make check` validates it: nbgrader's Validator on a temporary copy of the lesson's folder, a
fresh `python3` kernel, every cell run, and every graded test cell required to pass with no
error or stderr output anywhere. The time is that whole call, kernel start-up included: what a
learner's *Restart Kernel and Run All Cells* costs. Solutions are the longest version of each
lesson (a student's notebook stops at the first unsolved exercise).

**Goals:** ≤ {EACH_GOAL:.0f} s per notebook, ≤ {TOTAL_GOAL:.0f} s for the whole course. Each
notebook ran **once** (n = 1), to keep the benchmark within its time budget, so there is no
spread: timings inside the lessons (their own measurements) vary by a few percent between runs.
"""
    if not notebooks:
        notes.append("No solution notebooks found in solutions/.")
    if quick:
        notes.append("Quick mode: one generated two-cell notebook instead of the course.")
    notes.append("Lessons measure things themselves (save and load times, latency), so part "
                 "of their running time is deliberate repetition, not overhead.")
    return Section("course", "Course execution", intro, rows, notes,
                   time.perf_counter() - start)
