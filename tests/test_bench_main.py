"""Tests for `autograder bench` (bench.suite): sections run in order, a failing or missing
section becomes a one-line note while the others still run, and the report and plot are
written."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

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


def test_bad_arguments_exit_2_with_one_line(tmp_path):
    autograder = Path(sys.executable).with_name("autograder")  # the console script
    done = subprocess.run([autograder, "bench", "--only", "nothing"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout.count("\n") == 1
    assert "unknown section 'nothing': choose from grading, artifacts" in done.stdout


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
