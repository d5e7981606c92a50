"""autograder.course.measure: the machine's name, best-of timings, quick mode."""

import pytest

from autograder.course import measure


def test_best_of_returns_the_fastest_run(monkeypatch):
    monkeypatch.delenv(measure.QUICK_VARIABLE, raising=False)
    calls = []
    seconds = measure.best_of(4, calls.append, 1)
    assert calls == [1, 1, 1, 1] and 0 <= seconds < 0.1
    with pytest.raises(ValueError, match="at least 1 repeat"):
        measure.best_of(0, print)


def test_quick_mode_measures_once_and_picks_small_sizes(monkeypatch):
    monkeypatch.setenv(measure.QUICK_VARIABLE, "1")
    calls = []
    measure.best_of(5, calls.append, 1)
    assert calls == [1] and measure.quick() and measure.quick_or(1_000_000, 1_000) == 1_000
    monkeypatch.setenv(measure.QUICK_VARIABLE, "0")
    assert not measure.quick() and measure.quick_or(1_000_000, 1_000) == 1_000_000


def test_the_machine_is_named_in_one_line():
    line = measure.machine()
    assert "cores" in line and "GiB RAM" in line and "Python 3.11" in line and "\n" not in line
    assert measure.cpu_name()


def test_sizes_fit_the_memory_available_and_the_smallest_always_runs(monkeypatch):
    import psutil

    class Memory:
        available = 8 * 10**9

    monkeypatch.setattr(psutil, "virtual_memory", lambda: Memory)
    kept, note = measure.sized_to_memory([4 * 10**8, 10**6, 10**9, 2 * 10**9], copies=3)
    assert kept == [10**6, 4 * 10**8, 10**9]  # 3 x 1 GB fits in half of 8 GB; 3 x 2 GB does not
    assert note.startswith("Arrays up to 1.0 GB: 3 copies of the largest fit in 50% of the 7.45")
    assert "skipped 2.0 GB" in note
    Memory.available = 10**6
    kept, note = measure.sized_to_memory([10**6, 10**8], copies=3)
    assert kept == [10**6] and "skipped 100.0 MB" in note
    with pytest.raises(ValueError):
        measure.sized_to_memory([], copies=3)
