"""What a process tree has used: CPU time, and wall-clock time spent waiting.

A submission's limits are counted here, not on the wall clock alone: the CPU time of a process
and everything it started (`tree_cpu_seconds`), and the time during which the tree used less
than IDLE_SHARE of a core (`Meter.idle`: a sleep, a deadlock). A busy machine makes a computing
submission take longer, but not use more CPU, and not wait: with ten programs on two cores it
still gets about a fifth of a core.
"""

from __future__ import annotations

import time

IDLE_SHARE = 0.05


def tree_cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and all its descendants, the ones that ended too
    (their time is in the children counters of whoever waited for them)."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            t = process.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


class Meter:
    """CPU time and waiting time of a process tree since the meter started; `sample()` often
    (each sample judges the interval since the one before)."""

    def __init__(self, pid: int, *, from_zero: bool = False):
        self.pid = pid
        self.start = self.last = time.monotonic()
        self.first = 0.0 if from_zero else tree_cpu_seconds(pid)
        self.total, self.idle = self.first, 0.0

    def sample(self) -> None:
        now = time.monotonic()
        total = max(self.total, tree_cpu_seconds(self.pid))
        if total - self.total < IDLE_SHARE * (now - self.last):
            self.idle += now - self.last
        self.last, self.total = now, total

    @property
    def cpu(self) -> float:
        return self.total - self.first

    @property
    def wall(self) -> float:
        return self.last - self.start
