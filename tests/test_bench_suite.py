"""bench.suite: what `autograder bench` runs. Sections run in a fixed order; a section that
fails or cannot be imported becomes a one-line note while the others still run; the report, its
plot and its data are written (a partial run keeps the other sections' data); quick mode never
overwrites the real results.

The sections here are stand-ins; the real ones: tests/test_bench_grading.py,
tests/test_bench_setup.py and the other tests/test_bench_*.py. `autograder bench`'s arguments:
tests/test_bench_main.py and tests/test_cli_bench.py.
"""

from __future__ import annotations

import json
import sys
import types

import pytest

from autograder import cli
from bench import suite as bench_main
from bench.core import Measurement, Section


def fake_section(key: str, calls: list, *, fail: bool = False) -> types.ModuleType:
    module = types.ModuleType(f"bench.{key}")

    def run(quick: bool = False) -> Section:
        calls.append((key, quick))
        if fail:
            raise RuntimeError("disk full\nsecond line never shown")
        return Section(key, f"Title {key}", f"Intro of {key}.",
                       [Measurement(f"{key} row", "s", (1.0, 2.0, 3.0), goal=2.5)])

    module.run = run
    return module


@pytest.fixture
def calls(monkeypatch):
    calls: list = []
    monkeypatch.setitem(sys.modules, "bench.grading", None)  # import fails: not written yet
    monkeypatch.setitem(sys.modules, "bench.artifacts", fake_section("artifacts", calls,
                                                                     fail=True))
    monkeypatch.setitem(sys.modules, "bench.course", fake_section("course", calls))
    monkeypatch.setitem(sys.modules, "bench.setup", fake_section("setup", calls))
    return calls


def test_failures_become_notes_and_the_other_sections_still_run(calls, tmp_path, capsys):
    out = tmp_path / "docs" / "bench.md"
    code = cli.main(["bench", "--only", "setup", "grading", "artifacts", "course", "--quick",
                     "--out", str(out)])
    assert code == 1
    assert calls == [("artifacts", True), ("course", True), ("setup", True)]  # fixed order
    text = out.read_text()
    assert text.index("## Grading throughput") < text.index("## Artifact checks") \
        < text.index("## Title course") < text.index("## Title setup")
    assert "- Not run: `bench.grading` cannot be imported" in text
    assert "- The section failed after 0 s: RuntimeError: disk full" in text
    assert "second line" not in text
    assert "| course row | 2.00 s | 1.00–3.00 s | 3 | ≤ 2.50 s | ✓ |" in text
    assert "`autograder bench --only setup grading artifacts course --quick --out" in text
    assert (tmp_path / "docs" / "images" / "bench.png").read_bytes()[:4] == b"\x89PNG"
    assert "(images/bench.png)" in text
    summary = capsys.readouterr()
    assert summary.out.startswith("bench: wrote ") and "failed: grading, artifacts" in summary.out
    assert "[bench] artifacts: FAILED" in summary.err


def test_only_runs_the_named_sections(calls, tmp_path):
    assert cli.main(["bench", "--only", "course", "--out", str(tmp_path / "b.md")]) == 0
    assert calls == [("course", False)]
    assert "Quick mode" not in (tmp_path / "b.md").read_text()


def test_quick_mode_never_overwrites_the_real_results_by_default(calls, monkeypatch, tmp_path):
    monkeypatch.setattr(bench_main, "QUICK_OUT", tmp_path / "quick" / "benchmarks.md")
    before = bench_main.DEFAULT_OUT.read_bytes() if bench_main.DEFAULT_OUT.exists() else None
    assert cli.main(["bench", "--only", "course", "--quick"]) == 0
    assert "**Quick mode:**" in (tmp_path / "quick" / "benchmarks.md").read_text()
    after = bench_main.DEFAULT_OUT.read_bytes() if bench_main.DEFAULT_OUT.exists() else None
    assert after == before


def test_the_data_file_keeps_sections_a_partial_run_did_not_measure(tmp_path):
    path = tmp_path / "benchmarks.json"
    first = {"started": "day 1", "sections": [
        {"key": "formats", "measurements": [{"key": "pickle-size", "median": 1.0}]},
        {"key": "setup", "measurements": []}]}
    bench_main.write_results(path, first)
    second = {"started": "day 2", "sections": [{"key": "serialization", "measurements": []},
                                               {"key": "setup", "measurements": []}]}
    bench_main.write_results(path, second)
    import json

    data = json.loads(path.read_text())
    assert [(s["key"], s["started"]) for s in data["sections"]] == [
        ("serialization", "day 2"), ("formats", "day 1"), ("setup", "day 2")]


# --- one section at a time, and the files -------------------------------------------------------


def test_a_section_is_timed_unless_it_timed_itself(monkeypatch):
    module = types.ModuleType("bench.course")
    own = Section("course", "Course execution", "", [], seconds=42.0)
    module.run = lambda quick: own
    monkeypatch.setitem(sys.modules, "bench.course", module)
    assert bench_main.run_section("course", quick=True) == (own, True)
    assert own.seconds == 42.0
    module.run = lambda quick: Section("course", "Course execution", "", [])
    section, ran = bench_main.run_section("course", quick=True)
    assert ran and 0 < section.seconds < 5


def test_a_section_that_fails_is_a_note_under_its_own_title(monkeypatch):
    module = types.ModuleType("bench.hub")

    def run(quick):
        raise PermissionError("the hub creates Unix accounts: run it as root")

    module.run = run
    monkeypatch.setitem(sys.modules, "bench.hub", module)
    section, ran = bench_main.run_section("hub", quick=False)
    assert not ran and section.title == "Grade on submit (JupyterHub)"
    assert section.notes == ["The section failed after 0 s: PermissionError: the hub creates "
                             "Unix accounts: run it as root"]
    assert section.measurements == []


def test_the_plot_goes_to_images_beside_the_report(tmp_path):
    assert bench_main.plot_path(tmp_path / "docs" / "benchmarks.md") == \
        tmp_path / "docs" / "images" / "benchmarks.png"


def test_a_plot_that_cannot_be_drawn_leaves_a_report_without_it(calls, tmp_path, monkeypatch,
                                                               capsys):
    def broken(sections, path):
        raise RuntimeError("no display\nmore")

    monkeypatch.setattr(bench_main, "plot", broken)
    out = tmp_path / "b.md"
    assert bench_main.run(only=("course",), out=out) == 0
    assert "## Title course" in out.read_text() and "images/" not in out.read_text()
    assert out.with_suffix(".json").is_file()
    assert "[bench] plot: not drawn: RuntimeError: no display" in capsys.readouterr().err


def test_the_data_file_survives_a_previous_one_it_cannot_read(tmp_path):
    path = tmp_path / "benchmarks.json"
    path.write_text("{ cut short")  # a run killed while writing
    bench_main.write_results(path, {"started": "now", "sections": [
        {"key": "extra"}, {"key": "cluster"}, {"key": "grading"}]})
    data = json.loads(path.read_text())
    # the suite's order, sections it does not know last
    assert [(s["key"], s["started"]) for s in data["sections"]] == [
        ("grading", "now"), ("cluster", "now"), ("extra", "now")]
