"""Per-submission resource limits: what one student's grading may use, and how to apply it.

Time is enforced from outside (the worker kills the runner's whole process tree at the
wall-clock limit; nbgrader's Execute interrupts a cell at the per-cell limit). Memory and file
size are kernel rlimits set in the runner before it starts nbgrader: every process it starts,
the Jupyter kernel and the kernel's fresh-process artifact checks included, inherits them.
RLIMIT_AS caps each process's address space, so a runaway allocation raises MemoryError in the
student's cell instead of taking the machine (or the other workers) down.
"""

from __future__ import annotations

import re
import resource
from dataclasses import dataclass

from autograder.common.isolation import lower_rlimit

UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}

# A kernel running lesson 01 peaks at about 1.4 GB of address space (numpy, scikit-learn,
# OpenBLAS threads); torch reserves more. 4 GiB leaves room for lessons that import torch while
# two bounded runaways still fit a small machine. It is also what autograder.artifacts.sandbox
# asks for its artifact-loading child, which may lower an inherited limit but never raise it.
DEFAULT_MEMORY = 4 * 2**30
# Model files can be large: 2 GiB per file is above nbgrader's raised 1 GB limit (the course's
# max_file_size), so a legitimate artifact is never cut, while a runaway writer stops there.
DEFAULT_FILE_SIZE = 2 * 2**30
DEFAULT_TIMEOUT = 300.0  # seconds of wall clock per submission (its notebooks, in turn)


def parse_size(text: str | int) -> int:
    """'4G', '512M', '1500000' -> bytes (binary units: 4G is 4 GiB, as `ulimit` counts)."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)B?\s*", text.upper())
    if not m:
        raise ValueError(f"'{text}' is not a size: write e.g. 4G, 512M or a number of bytes")
    return int(float(m[1]) * UNITS[m[2]])


def human_bytes(n: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if n >= UNITS[unit]:
            return f"{n / UNITS[unit]:g} {unit}iB"
    return f"{n} bytes"


@dataclass(frozen=True)
class Limits:
    """What one submission may use. `cell_timeout` None means the course's Execute.timeout."""

    timeout: float = DEFAULT_TIMEOUT
    cell_timeout: int | None = None
    memory: int = DEFAULT_MEMORY
    file_size: int = DEFAULT_FILE_SIZE

    def __post_init__(self):
        if self.timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        if self.cell_timeout is not None and self.cell_timeout <= 0:
            raise ValueError("the cell timeout must be a positive number of seconds")
        if self.memory < 256 * 2**20:
            raise ValueError("a memory limit under 256 MB cannot even start a Python kernel")

    def effective_cell_timeout(self, course_default: int) -> int:
        """A cell may never run longer than the whole submission may."""
        cell = self.cell_timeout if self.cell_timeout is not None else course_default
        return max(1, min(int(cell), int(self.timeout)))

    def describe(self) -> str:
        cell = f"{self.cell_timeout} s" if self.cell_timeout else "course default"
        return (f"{self.timeout:g} s per submission, cells {cell}, "
                f"{human_bytes(self.memory)} memory per process, "
                f"{human_bytes(self.file_size)} per file")


def apply(limits: Limits) -> None:
    """Set the rlimits on this process; children inherit them. No core dumps either."""
    for which, value in ((resource.RLIMIT_AS, limits.memory),
                         (resource.RLIMIT_FSIZE, limits.file_size),
                         (resource.RLIMIT_CORE, 0)):
        lower_rlimit(which, value)
