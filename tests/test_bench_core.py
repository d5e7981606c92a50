"""Tests for bench.core: statistics and goal verdicts of a Measurement, number formatting,
timed commands, the markdown report and the plot."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from autograder.common import units
from bench import core
from bench.core import Measurement, Section


def test_statistics_of_an_odd_and_an_even_number_of_values():
    odd = Measurement("odd", "s", (3.0, 1.0, 2.0, 10.0, 4.0))
    assert (odd.median, odd.low, odd.high, odd.n) == (3.0, 1.0, 10.0, 5)
    assert odd.spread == "1.00–10.0 s"
    even = Measurement("even", "s", [4, 1, 2, 3])
    assert even.median == 2.5 and even.values == (4.0, 1.0, 2.0, 3.0)  # floats, kept raw
    assert Measurement("one", "s", (0.25,)).spread == "—"


@pytest.mark.parametrize("values, goal, higher, met", [
    ((0.4, 0.6, 0.45), 0.5, False, True),    # median 0.45 <= 0.5
    ((0.4, 0.6, 0.55), 0.5, False, False),   # median 0.55 > 0.5, though the min meets it
    ((0.5,), 0.5, False, True),              # the goal itself is met
    ((1.7, 2.0, 1.9), 1.8, True, True),
    ((1.7, 1.75, 2.5), 1.8, True, False),    # judged on the median, not the best run
    ((1.0,), None, False, None),             # no goal, no verdict
])
def test_goal_verdicts_are_judged_on_the_median(values, goal, higher, met):
    m = Measurement("x", "s", values, goal=goal, higher_is_better=higher)
    assert m.met is met


def test_goal_text_shows_direction_and_unit():
    assert Measurement("a", "s", (1,), goal=0.5).goal_text == "≤ 0.500 s"
    assert Measurement("b", "×", (2,), goal=1.8, higher_is_better=True).goal_text == "≥ 1.80×"
    assert Measurement("c", "s", (1,)).goal_text == "—"


def test_bad_values_are_refused_with_the_measurement_name():
    with pytest.raises(ValueError, match="'empty' has no values"):
        Measurement("empty", "s", ())
    with pytest.raises(ValueError, match="'nan' has a non-finite value"):
        Measurement("nan", "s", (1.0, float("nan")))


@pytest.mark.parametrize("value, text", [
    (0, "0"), (0.000123456, "0.000123"), (0.41234, "0.412"), (3.0712, "3.07"),
    (85.34, "85.3"), (2710.4, "2,710"), (-1.5, "-1.50"),
])
def test_numbers_have_three_significant_figures(value, text):
    assert units.number(value) == text


def test_with_unit():
    assert core.with_unit(1.92, "×") == "1.92×"
    assert core.with_unit(85.3, "% of memcpy") == "85.3 % of memcpy"
    assert core.with_unit(2710, "MB/s") == "2,710 MB/s"


def test_section_counts_goals_met():
    section = Section("k", "T", "", [Measurement("a", "s", (1,), goal=2),
                                     Measurement("b", "s", (3,), goal=2),
                                     Measurement("c", "s", (3,))])
    assert section.goals == (1, 2)


# ---------------------------------------------------------------------- commands


def test_run_command_times_a_real_command():
    done = core.run_command([sys.executable, "-c", "import time; time.sleep(0.2); print('hi')"])
    assert done.ok and done.returncode == 0 and done.stdout == "hi\n"
    assert done.seconds >= 0.2  # it waited for the command


def test_run_command_failures_are_one_line_problems():
    failed = core.run_command([sys.executable, "-c", "raise SystemExit('it broke')"])
    assert not failed.ok and failed.returncode == 1
    assert failed.problem == "`" + sys.executable.rsplit("/", 1)[-1] + "` exited with 1: it broke"
    missing = core.run_command(["/no/such/program"])
    assert not missing.ok and "cannot run `/no/such/program`" in missing.problem
    slow = core.run_command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
    assert not slow.ok and slow.returncode is None and "longer than 0.3 s" in slow.problem
    expected = core.run_command([sys.executable, "-c", "raise SystemExit(1)"], expect=(0, 1))
    assert expected.ok


def test_describe_machine_reads_this_machine():
    machine = core.describe_machine()
    assert machine.cores >= 1 and machine.ram_gb > 0.1
    assert machine.cpu and machine.os and machine.python.startswith("CPython 3.")
    assert "numpy" in machine.packages and len(machine.load_before) == 3


# ---------------------------------------------------------------------- report


def sections() -> list[Section]:
    verify = Measurement("ONNX: verify", "s", (0.3, 0.35, 0.4, 0.32, 0.31), goal=0.5,
                         note="load in child 0.01 s")
    slow = Measurement("pickle: verify", "s", (2.0, 2.1, 2.2), goal=1.6, note="a | b")
    speed = Measurement("inspect pickle", "MB/s", (900, 1000, 1100), higher_is_better=True)
    return [Section("artifacts", "Artifact checks", "What was measured.", [verify, slow, speed],
                    ["A caveat."], 12.3),
            Section("grading", "Grading throughput", "", [], ["Not run: no module."], 0.0)]


def render(**options) -> str:
    machine = core.Machine(cpu="Test CPU", cores=2, ram_gb=7.8, os="Debian",
                           python="CPython 3.11.7", packages="numpy 2",
                           load_before=(0.1, 0.2, 0.3), load_after=(1.0, 0.5, 0.25))
    return core.render(sections(), machine, command="autograder bench --only artifacts",
                       total_seconds=125, when=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
                       **options)


def test_report_says_when_how_and_on_what():
    text = render(plot="images/benchmarks.png")
    assert text.startswith("# Benchmarks\n")
    assert "Started on 2025-01-02 03:04 UTC by `autograder bench --only artifacts`" in text
    assert "2.1 min of wall time (125 s)" in text
    for row in ("| CPU | Test CPU |", "| Cores | 2 |", "| RAM | 7.8 GiB |", "| OS | Debian |",
                "| Python | CPython 3.11.7 |", "before | 0.10 / 0.20 / 0.30 |",
                "after | 1.00 / 0.50 / 0.25 |"):
        assert row in text
    assert "![Medians" in text and "(images/benchmarks.png)" in text
    assert "Quick mode" not in text


def test_report_tables_show_median_spread_n_goal_and_verdict():
    text = render()
    assert "| ONNX: verify | 0.320 s | 0.300–0.400 s | 5 | ≤ 0.500 s | ✓ | load in child" in text
    assert "| pickle: verify | 2.10 s | 2.00–2.20 s | 3 | ≤ 1.60 s | ✗ | a \\| b |" in text
    assert "| inspect pickle | 1,000 MB/s | 900–1,100 MB/s | 3 | — | — |  |" in text
    assert "- A caveat." in text and "- Not run: no module." in text
    assert "| [Artifact checks](#artifact-checks) | 1 of 2 | 12 s |" in text
    assert "| [Grading throughput](#grading-throughput) | not measured | 0 s |" in text
    assert "![" not in text  # no plot, no broken image link


def test_quick_report_says_its_figures_mean_nothing():
    assert "**Quick mode:**" in render(quick=True)


def test_plot_draws_a_png_even_with_an_empty_section(tmp_path):
    path = core.plot(sections(), tmp_path / "images" / "b.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    empty = core.plot([], tmp_path / "empty.png")
    assert empty.read_bytes()[:4] == b"\x89PNG"
