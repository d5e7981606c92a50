"""`autograder bench`: checks the section names, then hands the run to bench.suite with the
command line that reproduces it (quoted for a shell, for the report); outside the course
repository, where there is no bench/, it is a one-line error.

Running sections, the report, the notes for failed sections and the exit codes of a run are
bench.suite's (tests/test_bench_suite.py); the measurements themselves are `make bench`'s."""

import importlib.util

import pytest

from autograder.cli import main
from autograder.common import paths
from bench import suite


@pytest.fixture
def runs(monkeypatch):
    """bench.suite.run replaced: the keywords of each call; it returns 1 (a section failed)."""
    calls = []

    def run(**kwargs):
        calls.append(kwargs)
        return 1

    monkeypatch.setattr(suite, "run", run)
    return calls


def test_the_run_gets_the_sections_and_the_command_that_repeats_it(runs, tmp_path):
    out = tmp_path / "my results" / "b.md"
    assert main(["bench", "--only", "course", "setup", "--quick", "--out", str(out)]) == 1
    (call,) = runs
    assert (call["only"], call["quick"], call["out"]) == (["course", "setup"], True, out)
    assert call["command"] == f"autograder bench --only course setup --quick --out '{out}'"


def test_without_options_every_section_into_the_default_report(runs):
    assert main(["bench"]) == 1  # the suite's exit code, passed on
    assert runs == [{"only": [], "quick": False, "out": None, "command": "autograder bench"}]


def test_an_unknown_section_is_refused_before_anything_runs(runs, capsys):
    assert main(["bench", "--only", "course", "speed"]) == 2
    out = capsys.readouterr().out
    assert f"unknown section 'speed': choose from {', '.join(suite.SECTIONS)}" in out
    assert out.count("\n") == 1 and runs == []


def test_outside_the_course_repository_it_says_so(tmp_path, monkeypatch, capsys):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "bench" else find_spec(name, *rest))
    monkeypatch.setattr(paths, "ROOT", tmp_path)  # an installed package: no bench/ next to it
    assert main(["bench"]) == 2
    assert capsys.readouterr().out.startswith(f"autograder: error: no bench/ folder in {tmp_path}")
