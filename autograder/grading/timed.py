"""nbgrader's Execute preprocessor, timed and traced: how long each notebook's own run took,
and which cell is running right now.

The clock runs from before the kernel starts until it has shut down, so it holds exactly what
running the notebook costs; the rest of a submission's time is grading overhead (copies,
sandbox, sanitizing, gradebook, feedback). The runner uses it so every outcome can say both,
and `make bench` puts the same class into stock `nbgrader autograde` to compare like with like.
The trace (`progress_file`) lets a submission stopped at a time limit say where it was.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Unicode


class TimedExecute(Execute):
    """Execute, appending {"notebook", "seconds"} as one JSON line per notebook to timing_file,
    and writing the running cell to progress_file."""

    timing_file = Unicode("", help="file to append one JSON line per executed notebook to"
                          ).tag(config=True)
    progress_file = Unicode("", help="file to write the running cell to").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        name = (resources or {}).get("unique_key", "")
        if self.progress_file:
            def note(cell, cell_index, **_):
                named = is_grade(cell) or is_solution(cell)
                Path(self.progress_file).write_text(json.dumps({
                    "notebook": name, "index": cell_index,
                    "grade_id": cell.metadata.nbgrader["grade_id"] if named else ""}))
            self.on_cell_start = note
        start = time.perf_counter()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self.timing_file:
                with open(self.timing_file, "a") as f:
                    f.write(json.dumps({"notebook": name,
                                        "seconds": time.perf_counter() - start}) + "\n")


def use_timed_execute(config, timing_file: str, progress_file: str = "") -> None:
    """Put TimedExecute where Execute is in autograde's preprocessors."""
    from nbgrader.converters import Autograde

    steps = config.Autograde.get("autograde_preprocessors") or \
        Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [TimedExecute if s is Execute else s
                                                for s in steps]
    config.TimedExecute.timing_file = timing_file
    config.TimedExecute.progress_file = progress_file


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
