"""Per-submission resource limits: what one student's grading may use, and how to apply it.

Time is measured on the submission, not on the machine. The worker adds up the CPU time of
the runner's whole process tree (the Jupyter kernel and everything it starts) and kills the
tree when it passes `cpu_seconds`: a busy machine slows a submission down but does not make it
use more CPU. A wall-clock ceiling, `wall_seconds`, catches what uses no CPU at all (a sleep,
a deadlock): it counts the time the submission spends waiting (`workers.supervise`). Both are
derived from the solution's own measured run (`reference`), so a lesson that takes a minute
gets minutes, and a tiny one still gets `FLOOR_SECONDS`. The course's
per-cell timeout (nbgrader's Execute.timeout) still interrupts a single cell.

Memory, file size and (as a backstop to the worker's count) CPU time are kernel rlimits set in
the runner before it starts nbgrader; the kernel and its fresh-process artifact checks inherit
them. RLIMIT_AS caps each process's address space, so a runaway allocation raises MemoryError
in the student's cell instead of taking the machine (or the other workers) down.
"""

from __future__ import annotations

import math
import re
import resource
from dataclasses import dataclass

from autograder.common.isolation import lower_rlimit
from autograder.common.units import duration, size

UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}

# A kernel running lesson 01 peaks at about 1.4 GB of address space (numpy, scikit-learn,
# OpenBLAS threads); torch reserves more. 4 GiB leaves room for lessons that import torch while
# two bounded runaways still fit a small machine. It is also what autograder.artifacts.sandbox
# asks for its artifact-loading child, which may lower an inherited limit but never raise it.
DEFAULT_MEMORY = 4 * 2**30
# Model files can be large: 2 GiB per file is above nbgrader's raised 1 GB limit (the course's
# max_file_size), so a legitimate artifact is never cut, while a runaway writer stops there.
DEFAULT_FILE_SIZE = 2 * 2**30
# The time limits are this many times what grading the solution took, and never below the floor:
# room for a slower but honest solution, and for a busy machine on the wall clock.
MARGIN = 3.0
FLOOR_SECONDS = 60.0
# When the solution could not be measured: generous, as stock nbgrader has no limit at all.
FALLBACK_SECONDS = 900.0
# The kernel's own RLIMIT_CPU, a backstop should the worker stop counting: well past the budget.
BACKSTOP_SECONDS = 5


def parse_size(text: str | int) -> int:
    """'4G', '512M', '1500000' -> bytes (binary units: 4G is 4 GiB, as `ulimit` counts)."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)B?\s*", text.upper())
    if not m:
        raise ValueError(f"'{text}' is not a size: write e.g. 4G, 512M or a number of bytes")
    return int(float(m[1]) * UNITS[m[2]])


@dataclass(frozen=True, kw_only=True)
class JobLimits:
    """What one submission may use. `cell_timeout` None means the course's Execute.timeout."""

    cpu_seconds: float = FALLBACK_SECONDS
    wall_seconds: float = FALLBACK_SECONDS
    cell_timeout: int | None = None
    memory: int = DEFAULT_MEMORY
    file_size: int = DEFAULT_FILE_SIZE
    basis: str = "fallback"  # how the times were chosen, for the report

    def __post_init__(self):
        if self.cpu_seconds <= 0 or self.wall_seconds <= 0:
            raise ValueError("the time limits must be a positive number of seconds")
        if self.cell_timeout is not None and self.cell_timeout <= 0:
            raise ValueError("the cell timeout must be a positive number of seconds")
        if self.memory < 256 * 2**20:
            raise ValueError("a memory limit under 256 MB cannot even start a Python kernel")

    @classmethod
    def from_reference(cls, cpu: float, wall: float, **rest) -> JobLimits:
        """MARGIN times the solution's own CPU and wall time, at least FLOOR_SECONDS each."""
        return cls(cpu_seconds=max(MARGIN * cpu, FLOOR_SECONDS),
                   wall_seconds=max(MARGIN * wall, FLOOR_SECONDS),
                   basis=f"{MARGIN:g}× the solution's {duration(cpu)} CPU, "
                         f"{duration(wall)} wall clock", **rest)

    def effective_cell_timeout(self, course_default: int | None) -> int | None:
        """The per-cell timeout: this one's, else the course's (None: none, as nbgrader)."""
        cell = self.cell_timeout if self.cell_timeout is not None else course_default
        return cell if cell and cell > 0 else None

    def describe(self) -> str:
        cell = f"{self.cell_timeout} s" if self.cell_timeout else "course default"
        return (f"{duration(self.cpu_seconds)} CPU time and {duration(self.wall_seconds)} idle "
                f"wall clock per submission ({self.basis}), cells {cell}, "
                f"{size(self.memory, binary=True)} memory per process, "
                f"{size(self.file_size, binary=True)} per file")


def apply(limits: JobLimits) -> None:
    """Set the rlimits on this process; children inherit them. No core dumps either."""
    cpu = math.ceil(limits.cpu_seconds) + BACKSTOP_SECONDS
    for which, value in ((resource.RLIMIT_AS, limits.memory),
                         (resource.RLIMIT_FSIZE, limits.file_size),
                         (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_CORE, 0)):
        lower_rlimit(which, value)
