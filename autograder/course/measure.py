"""Measuring on the learner's machine: the machine's name, best-of timings, and quick mode.

    from autograder.course import measure

    print(measure.machine())                        # Intel(R) Xeon(R) ..., 2 cores, 24 GiB RAM, ...
    seconds = measure.best_of(5, pickle.dumps, model, protocol=5)
    n_rows = measure.quick_or(1_000_000, 10_000)    # the second value when quick mode is on
    sizes, note = measure.sized_to_memory([10**6, 10**8, 4 * 10**8], copies=3)
    print(note)                                     # say which sizes this machine can afford

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
from collections.abc import Callable, Sequence
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


def sized_to_memory(sizes: Sequence[int], copies: float, *,
                    share: float = 0.5) -> tuple[list[int], str]:
    """The sizes (bytes) of which `copies` copies fit in `share` of the memory available now,
    and a sentence saying so, to print beside the measurement.

    A lesson that allocates large arrays (an array, its pickle, the loaded copy) asks for the
    sizes it planned and gets those this machine can hold without swapping; the smallest size
    is always kept, so the measurement still runs on a small laptop.
    """
    import psutil

    if not sizes or copies <= 0 or not 0 < share <= 1:
        raise ValueError("sized_to_memory needs sizes, copies > 0 and 0 < share <= 1")
    available = psutil.virtual_memory().available
    budget = share * available
    planned = sorted(sizes)
    kept = [size for size in planned if copies * size <= budget] or planned[:1]
    skipped = planned[len(kept):]
    note = (f"Arrays up to {units.size(kept[-1])}: {copies:g} copies of the largest fit in "
            f"{share:.0%} of the {units.number(available / 2**30)} GiB of memory available now")
    if skipped:
        note += f"; skipped {', '.join(units.size(size) for size in skipped)} (too large here)"
    return kept, note + "."


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
