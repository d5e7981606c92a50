"""autograder.grading.usage: the CPU time of a whole process tree, ended children included, and
`Meter`, which counts as waiting only the intervals in which the tree used less than
IDLE_SHARE of a core, so a busy machine slows a submission down without making it "idle".

(The limits these figures enforce, on real jobs: tests/test_grading_workers.py.)
"""

import subprocess
import sys
import textwrap
import types

import psutil
import pytest

from autograder.grading import usage
from autograder.grading.usage import Meter, tree_cpu_seconds

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4:\n    pass"


def test_a_trees_cpu_time_counts_living_and_ended_descendants():
    # the child waits for one grandchild, then starts one that stays: each burns 0.4 s of CPU
    burn_and_stay = BURN + "\nprint('ready', flush=True)\ntime.sleep(60)"
    parent = textwrap.dedent(f"""\
        import subprocess, sys, time
        subprocess.run([sys.executable, "-c", {BURN!r}])
        subprocess.Popen([sys.executable, "-c", {burn_and_stay!r}])
        time.sleep(60)""")
    tree = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    try:
        assert tree.stdout.readline() == "ready\n"  # the grandchildren's stdout is the tree's
        assert tree_cpu_seconds(tree.pid) >= 0.8  # both, not the child's own start-up alone
    finally:
        for process in psutil.Process(tree.pid).children(recursive=True):
            process.kill()
        tree.kill()
        tree.wait()


def test_a_process_that_is_gone_used_nothing():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert tree_cpu_seconds(gone.pid) == 0.0


@pytest.fixture
def tree(monkeypatch):
    """A scripted process tree: set `.cpu` (its CPU seconds so far) and `.now` (the clock)."""
    state = types.SimpleNamespace(cpu=5.0, now=100.0)
    monkeypatch.setattr(usage, "tree_cpu_seconds", lambda pid: state.cpu)
    monkeypatch.setattr(usage, "time", types.SimpleNamespace(monotonic=lambda: state.now))
    return state


def step(meter: Meter, tree, seconds: float, cpu: float) -> None:
    tree.now += seconds
    tree.cpu += cpu
    meter.sample()


def test_a_meter_counts_from_its_start_unless_told_to_count_from_zero(tree):
    late, fresh = Meter(1), Meter(1, from_zero=True)
    step(late, tree, 1.0, 0.5)
    fresh.sample()
    assert late.cpu == 0.5  # what the tree used before the meter started is not counted
    assert fresh.cpu == 5.5  # a job started just now: its start-up counts


def test_a_sleep_is_waiting_but_a_fifth_of_a_core_on_a_busy_machine_is_not(tree):
    meter = Meter(1)
    step(meter, tree, 10.0, 0.1)  # a sleep: 1 % of a core
    step(meter, tree, 10.0, 2.0)  # ten programs on two cores: computing, slowly
    step(meter, tree, 5.0, 0.0)  # a deadlock
    assert meter.idle == pytest.approx(15.0)
    assert meter.cpu == pytest.approx(2.1)
    assert meter.wall == pytest.approx(25.0)


def test_cpu_time_never_goes_back_when_a_descendant_disappears(tree):
    meter = Meter(1)
    step(meter, tree, 1.0, 3.0)
    step(meter, tree, 1.0, -2.5)  # an unwaited child ended: its time left the tree's sum
    assert meter.cpu == pytest.approx(3.0)
    assert meter.idle == pytest.approx(1.0)  # and nothing new was computed meanwhile
