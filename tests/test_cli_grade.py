"""`autograder grade`: checks its limits and arguments before anything is written (a bad one is
one `error:` line on stderr, or with --json the one JSON object the hub reads), builds what is
to be graded, and reports each run: the exit code is 1 when a submission was not graded or a
protected file changed, and the report says which.

Grading itself is slow and tested elsewhere: the whole flow and the one-line errors on the tiny
course in tests/test_grading_cli.py, every sample class in tests/test_grading_e2e.py, on a Dask
cluster in tests/test_grading_distributed.py and tests/test_cli_cluster.py, and the command the
hub's grading service runs in tests/test_hub_grader.py. Here: the fast parts, on fake runs."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder.cli import build_parser, main
from autograder.cli.grade import as_json, given_limits, plan_runs, report_run
from autograder.grading.limits import DEFAULT_MEMORY
from autograder.grading.orchestrator import GradeRun
from autograder.grading.outcome import GradeOutcome, GradeStatus


def parse(*argv: str):
    return build_parser().parse_args(["grade", *argv])


@pytest.mark.parametrize("argv, message", [
    ([], "give the ASSIGNMENT to grade (or --sample)"),
    (["01-pickle", "--memory", "lots"], "'lots' is not a size"),
    (["01-pickle", "--cell-timeout", "-1"], "the cell timeout must be a positive number"),
])
def test_with_json_a_bad_argument_is_the_one_object_the_hub_reads(argv, message, tmp_path,
                                                                   capsys):
    out = tmp_path / "graded"
    assert main(["grade", *argv, "--out", str(out), "--json"]) == 2
    printed = capsys.readouterr()
    assert printed.err == "" and printed.out.count("\n") == 1
    result = json.loads(printed.out)
    assert result["runs"] == [] and result["exit_code"] == 2
    assert len(result["errors"]) == 1 and message in result["errors"][0]
    assert not out.exists()


@pytest.mark.parametrize("limits", [["--cpu-time", "0"], ["--cpu-time", "0", "--timeout", "30"]])
def test_a_zero_cpu_time_is_an_actionable_line(tmp_path, capsys, limits):
    assert main(["grade", "01-pickle", *limits, "--out", str(tmp_path / "g")]) == 2
    assert "time limits must be a positive" in capsys.readouterr().err


def test_each_time_limit_defaults_to_the_other():
    cpu_only = given_limits(parse("ps1", "--cpu-time", "90"), DEFAULT_MEMORY)
    wall_only = given_limits(parse("ps1", "--timeout", "30"), DEFAULT_MEMORY)
    both = given_limits(parse("ps1", "--cpu-time", "90", "--timeout", "30"), DEFAULT_MEMORY)
    assert (cpu_only.cpu_seconds, cpu_only.wall_seconds) == (90, 90)
    assert (wall_only.cpu_seconds, wall_only.wall_seconds) == (30, 30)
    assert (both.cpu_seconds, both.wall_seconds) == (90, 30)
    assert both.basis == "given on the command line"
    assert given_limits(parse("ps1"), DEFAULT_MEMORY) is None  # measured from the solution


def test_the_course_is_the_current_folder_unless_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert plan_runs(parse("ps1")) == [("ps1", tmp_path, None, None)]
    given = parse("ps1", "--course", "c", "--out", "o", "--submissions", "class.zip")
    assert plan_runs(given) == [("ps1", tmp_path / "c", Path("o"), Path("class.zip"))]


# ------------------------------------------------------------------ reporting a run


def outcome(student: str, status=GradeStatus.GRADED, score=2.0) -> GradeOutcome:
    return GradeOutcome(assignment="ps1", student=student, status=status, score=score,
                        max_score=2.0, reason="all 1 tests passed" if score else "why",
                        seconds=3.0)


def fake_run(*outcomes: GradeOutcome, tampered=()) -> GradeRun:
    course = SimpleNamespace(root=Path("/course"), out=Path("/out"),
                             path=lambda step, student, assignment:
                             Path("/out/feedback") / student / assignment)
    return GradeRun("ps1", course, list(outcomes), skipped=("eve: already autograded",),
                    tampered=list(tampered), seconds=12.0, workers=2,
                    files={"grades": "/out/grades.csv", "cells": "/out/ps1-cells.csv",
                           "outcomes": "/out/ps1-outcomes.csv", "feedback": "/out/feedback"})


def test_a_run_where_every_submission_was_graded_exits_0(capsys):
    assert report_run(fake_run(outcome("ada"), outcome("bob", score=0.0)),
                      check_samples=False, quiet=False) == 0
    out = capsys.readouterr().out
    assert "ps1: 2 submissions graded with 2 at a time in 12.0 s." in out
    assert "  not graded: eve: already autograded" in out
    assert "flagged for the instructor" not in out and "PROTECTED" not in out
    assert out.rstrip().endswith("and feedback HTML under /out/feedback/.")


def test_a_submission_not_graded_is_flagged_and_exits_1(capsys):
    run = fake_run(outcome("ada"), outcome("bob", GradeStatus.TIMEOUT, 0.0))
    assert report_run(run, check_samples=False, quiet=True) == 1
    assert capsys.readouterr().out == ""  # quiet: --json prints the object instead
    assert report_run(run, check_samples=False, quiet=False) == 1
    assert "* flagged for the instructor" in capsys.readouterr().out


def test_a_protected_file_changed_exits_1_and_names_it(capsys):
    run = fake_run(outcome("ada"), tampered=["nbgrader_config.py changed"])
    assert report_run(run, check_samples=False, quiet=False) == 1
    out = capsys.readouterr().out
    assert "PROTECTED FILES CHANGED WHILE SUBMISSIONS RAN (gradebook restored):\n" \
           "  nbgrader_config.py changed" in out


def test_json_gives_a_feedback_page_only_to_graded_submissions():
    data = as_json(fake_run(outcome("ada"), outcome("bob", GradeStatus.ERROR, 0.0)))
    assert (data["course"], data["out"], data["seconds"]) == ("/course", "/out", 12.0)
    ada, bob = data["outcomes"]
    assert (ada["status"], ada["feedback"]) == ("graded", "/out/feedback/ada/ps1")
    assert (bob["status"], bob["feedback"], bob["flagged"]) == ("error", None, True)
    json.dumps(data)  # it is printed as it is
