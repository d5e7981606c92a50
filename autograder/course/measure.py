"""Measuring on the learner's machine: the machine's name, best-of timings, and quick mode.

    from autograder.course import measure

    print(measure.machine())                        # Intel(R) Xeon(R) ..., 2 cores, 24 GiB RAM, ...
    seconds = measure.best_of(5, pickle.dumps, model, protocol=5)
    n_rows = measure.quick_or(1_000_000, 10_000)    # the second value when quick mode is on

**Quick mode.** When the environment variable `AUTOGRADER_QUICK=1` is set (the grader sets it,
and so does the test that runs the student versions), `best_of` runs each timing once and
`quick_or` returns its small value. Timings are illustrations, so a graded result must never
depend on a quick-mode value: grade files and figures the student computed, not the size of a
demonstration array.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder.common import units

QUICK_VARIABLE = "AUTOGRADER_QUICK"


def quick() -> bool:
    """True when `AUTOGRADER_QUICK=1`: measure less, because nobody reads these timings."""
    return os.environ.get(QUICK_VARIABLE, "") == "1"


def quick_or(full, small):
    """`full` normally, `small` in quick mode (sizes of demonstration arrays, repetitions)."""
    return small if quick() else full


def best_of(repeats: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    """Seconds of the fastest of `repeats` calls of `fn(*args, **kwargs)` (one in quick mode).

    The minimum is the least noisy estimate of what the call itself costs: other programs on
    the machine can only make a run slower, never faster.
    """
    if repeats < 1:
        raise ValueError(f"best_of needs at least 1 repeat, got {repeats}")
    times = []
    for _ in range(quick_or(repeats, 1)):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), or what `platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown processor"


def machine() -> str:
    """One line naming this machine, to print next to every measurement."""
    import psutil

    memory = f"{units.number(psutil.virtual_memory().total / 2**30, 2)} GiB"
    return (f"{cpu_name()}, {os.cpu_count()} cores, {memory} RAM, {platform.system()}, "
            f"Python {platform.python_version()}")
