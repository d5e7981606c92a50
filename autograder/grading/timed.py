"""nbgrader's Execute preprocessor, timed, traced, and with a per-cell limit a busy machine
cannot trip.

- Timed: the clock runs from before the kernel starts until it has shut down, so it holds
  exactly what running the notebook costs; the rest of a submission's time is grading overhead
  (copies, sandbox, sanitizing, gradebook, feedback). `make bench` puts the same hook into stock
  `nbgrader autograde` to compare like with like.
- Traced (`progress_file`): the running cell, so a submission stopped at a limit says where.
- The per-cell limit (`cell_limit`): nbclient's own timeout is wall-clock, so on a busy machine
  it interrupts correct work. Here a cell is interrupted when the kernel has spent the course's
  per-cell timeout computing in it (CPU time of the kernel and its children), or waiting in it
  (`usage.Meter.idle`): what nbgrader's interrupt does, and the cell's error says
  CellTimeoutError as nbgrader's does, but only for the submission's own doing. A cell that
  ignores the interrupt is left to the job's limits.
- The tail (`skip_tail_of`, quick mode): the code cells after the last graded cell of the
  assignment's last notebook are not run. Cells run in order and only graded cells score, so
  nothing after the last one can change a grade; an earlier notebook's tail runs, since it may
  write what a later notebook reads. In the lessons that tail is the concept snapshot and the
  Going further sections. The first skipped cell says so in the feedback.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution, is_task
from traitlets import Float, Unicode

from autograder.grading.usage import Meter

WATCH_SECONDS = 0.25
CELL_TIMEOUT = "CellTimeoutError"  # nbclient's name for a cell stopped at its limit
TAIL_NOTE = ("Not run by the grader, nor any code cell after this one: no graded cell follows, "
             "so they cannot change the score.\n")


class CellWatch:
    """A thread that interrupts the kernel when the running cell passes the limit."""

    def __init__(self, pid: int, limit: float):
        self.pid, self.limit = pid, limit
        self.lock = threading.Lock()
        self.meter: Meter | None = None
        self.stopped: dict[int, str] = {}  # cell index -> what stopped it
        self.index = -1
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, name="cell-watch", daemon=True)
        self.thread.start()

    def begin(self, index: int) -> None:
        with self.lock:
            self.index, self.meter = index, Meter(self.pid)

    def end(self) -> str | None:
        """The cell ended: what stopped it, if this watch did."""
        with self.lock:
            self.meter = None
            return self.stopped.get(self.index)

    def run(self) -> None:
        while not self.done.wait(WATCH_SECONDS):
            with self.lock:
                if self.meter is None or self.index in self.stopped:
                    continue
                self.meter.sample()
                for what, used in (("CPU time", self.meter.cpu), ("waiting", self.meter.idle)):
                    if used > self.limit:
                        self.stopped[self.index] = what
                        try:
                            os.kill(self.pid, signal.SIGINT)  # as a local kernel's interrupt
                        except OSError:
                            pass
                        break

    def close(self) -> None:
        self.done.set()
        self.thread.join()


class TimedExecute(Execute):
    """Execute, appending {"notebook", "seconds"} as one JSON line per notebook to timing_file,
    writing the running cell to progress_file, and limiting each cell by `cell_limit`."""

    timing_file = Unicode("", help="file to append one JSON line per executed notebook to"
                          ).tag(config=True)
    progress_file = Unicode("", help="file to write the running cell to").tag(config=True)
    cell_limit = Float(0, help="seconds a cell may compute, or wait, before it is interrupted "
                               "(0: nbclient's own wall-clock timeout)").tag(config=True)
    skip_tail_of = Unicode("", help="the notebook (its name, no extension) whose code cells "
                           "after its last graded cell are left unrun").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._name = (resources or {}).get("unique_key", "")
        self._watch = None
        skip = self.skip_tail_of and self._name == self.skip_tail_of
        self._tail = last_graded(nb) + 1 if skip else len(nb.cells)
        self._note_at = next((i for i in range(self._tail, len(nb.cells))
                              if nb.cells[i].cell_type == "code"), -1)
        start = time.perf_counter()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self._watch is not None:
                self._watch.close()
            if self.timing_file:
                with open(self.timing_file, "a") as f:
                    f.write(json.dumps({"notebook": self._name,
                                        "seconds": time.perf_counter() - start}) + "\n")

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if cell_index >= self._tail:
            if cell_index == self._note_at:
                cell.outputs = [new_output("stream", name="stdout", text=TAIL_NOTE)]
            return cell
        if self.progress_file:
            named = is_grade(cell) or is_solution(cell)
            Path(self.progress_file).write_text(json.dumps({
                "notebook": self._name, "index": cell_index,
                "grade_id": cell.metadata.nbgrader["grade_id"] if named else ""}))
        if not self.cell_limit or cell.cell_type != "code":
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        if self._watch is None:
            self._watch = CellWatch(self.km.provisioner.pid, self.cell_limit)
        self._watch.begin(cell_index)
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        finally:
            stopped = self._watch.end()
            if stopped:
                self.mark_stopped(cell, stopped)

    execute_cell = run_sync(async_execute_cell)  # nbclient's is bound to its own method

    def mark_stopped(self, cell, what: str) -> None:
        """The interrupt's KeyboardInterrupt becomes what nbgrader's timeout would say."""
        message = f"the cell was stopped after {self.cell_limit:g} s of {what}"
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
        cell.outputs.append(new_output("error", ename=CELL_TIMEOUT, evalue=message,
                                       traceback=[f"\x1b[0;31m{CELL_TIMEOUT}\x1b[0m: {message}"]))


def last_graded(nb) -> int:
    """The index of the notebook's last graded, solution or task cell (-1 if none)."""
    return max((i for i, c in enumerate(nb.cells) if is_grade(c) or is_solution(c) or is_task(c)),
               default=-1)


def last_notebook(folder: Path) -> str:
    """The name (no extension) of the notebook autograde runs last: it runs them sorted."""
    last = max(Path(folder).glob("*.ipynb"), key=lambda p: p.name, default=None)
    return last.stem if last else ""


def use_timed_execute(config, timing_file: str, progress_file: str = "",
                      cell_limit: float | None = None, skip_tail_of: str = "") -> None:
    """Put TimedExecute where Execute is in autograde's preprocessors. With `cell_limit`,
    cells are limited by their CPU and waiting time instead of nbclient's wall clock; with
    `skip_tail_of`, that notebook's code cells after its last graded one are not run."""
    from nbgrader.converters import Autograde

    steps = config.Autograde.get("autograde_preprocessors") or \
        Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [TimedExecute if s is Execute else s
                                                for s in steps]
    config.TimedExecute.timing_file = timing_file
    config.TimedExecute.progress_file = progress_file
    config.TimedExecute.skip_tail_of = skip_tail_of
    if cell_limit:
        config.TimedExecute.cell_limit = float(cell_limit)
        config.TimedExecute.timeout = None


def read_timings(path) -> float:
    """The seconds spent executing notebooks, from a timing file (0 if none ran)."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return 0.0
    total = 0.0
    for line in lines:
        try:
            total += float(json.loads(line)["seconds"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a kill at the time limit
    return total
