"""autograder.grading.orchestrator and `autograder grade`: the whole flow on the tiny course,
into another folder and in the course itself, and one-line errors."""

import csv
import html
import json
import re
import shutil

import pytest
from grading_course import ASSIGNMENT, HIDDEN, make_course, write_class

from autograder.cli import main
from autograder.grading.limits import JobLimits
from autograder.grading.orchestrator import grade
from autograder.grading.outcome import GradeStatus
from autograder.grading.redact import normalize

LIMITS = JobLimits(cpu_seconds=60, wall_seconds=60)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


def test_grade_runs_the_whole_flow_and_a_rerun_changes_nothing(course, tmp_path):
    src = write_class(course, tmp_path / "class", {"ada": "answer = 42", "bob": "answer = 1"})
    out = tmp_path / "graded"
    run = grade(ASSIGNMENT, course=course, out=out, submissions=src, workers=2, limits=LIMITS,
                progress=False)
    assert {o.student: o.score for o in run.outcomes} == {"ada": 2.0, "bob": 0.0}
    assert run.tampered == [] and run.workers == 2
    rows = {r["student_id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert float(rows["ada"]["score"]) == 2.0 and float(rows["bob"]["score"]) == 0.0
    cells = list(csv.DictReader((out / f"{ASSIGNMENT}-cells.csv").open()))
    assert [(r["student"], r["grade_id"], r["status"]) for r in cells] == [
        ("ada", "test_answer", "passed"), ("bob", "test_answer", "failed")]
    for student in ("ada", "bob"):
        html = (out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert normalize(HIDDEN) not in normalize(html)
    assert (out / "nbgrader_config.py").is_file()
    assert not (out / ".autograder" / ASSIGNMENT).exists()
    assert_feedback_teaches(course, out)

    before = (out / "grades.csv").read_text()
    again = grade(ASSIGNMENT, course=course, out=out, submissions=src, workers=1, limits=LIMITS,
                  progress=False)
    assert [(o.student, o.score, o.reason) for o in again.outcomes] == \
        [(o.student, o.score, o.reason) for o in run.outcomes]
    assert (out / "grades.csv").read_text() == before


def assert_feedback_teaches(course, out):
    """bob's page names the mistake his visible test tagged and links to its section in the
    course's release folder; the class report counts him."""
    page = out / "feedback" / "bob" / ASSIGNMENT
    bob = (page / f"{ASSIGNMENT}.html").read_text()
    assert "feedback-summary" in bob and "Tests passed: 0 of 1" in bob
    assert "Why test_answer failed" in bob and "<code>different-model</code>" in bob
    href = html.unescape(re.search(r'class="mistake-link" href="([^"#]+)#', bob)[1])
    assert (page / href).resolve() == (course / "lessons" / "01-pickle" / "01-pickle.ipynb")
    ada = (out / "feedback" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Tests passed: 1 of 1" in ada and "mistake-feedback" not in ada
    found = list(csv.DictReader((out / f"{ASSIGNMENT}-mistakes.csv").open()))
    assert [(r["mistake"], r["students"], r["student_ids"]) for r in found] == [
        ("different-model", "1", "bob")]
    assert (out / f"{ASSIGNMENT}-mistakes.html").is_file()
    assert (out / f"{ASSIGNMENT}-mistakes.png").is_file()


def grade_here(course, capsys, *args) -> dict:
    """`cd COURSE && autograder grade tiny ARGS --json`: its JSON, with the exit code."""
    code = main(["grade", ASSIGNMENT, "--course", str(course), "--cpu-time", "60", "--json",
                 *args])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["exit_code"] == code
    return result


def test_in_the_course_it_grades_as_stock_autograde_would(course, tmp_path, capsys):
    """A course with no nbgrader_config.py at all: nbgrader's default folders."""
    here = shutil.copytree(course, tmp_path / "here")
    (here / "nbgrader_config.py").unlink()
    (here / "solutions").rename(here / "source")
    (here / "lessons").rename(here / "release")
    for folder in write_class(course, tmp_path / "class",
                              {"ada": "answer = 42", "zoë": "answer = 1"}).iterdir():
        shutil.copytree(folder, here / "submitted" / folder.name / ASSIGNMENT)
    first = grade_here(here, capsys)
    (run,) = first["runs"]
    assert [(o["student"], o["status"], o["score"]) for o in run["outcomes"]] == [
        ("ada", "graded", 2.0), ("zoë", "graded", 0.0)]
    assert (here / "autograded" / "zoë" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert (here / "feedback" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert (here / "gradebook.db").is_file()  # the course's own gradebook

    # as stock autograde: what is autograded already is graded again only with --force
    again = grade_here(here, capsys, "--student", "zoë")["runs"][0]
    assert again["outcomes"] == [] and "already autograded" in again["skipped"][0]
    forced = grade_here(here, capsys, "--student", "zoë", "--force")["runs"][0]
    assert [o["student"] for o in forced["outcomes"]] == ["zoë"]
    assert forced["outcomes"][0]["feedback"].endswith(f"feedback/zoë/{ASSIGNMENT}")
    missing = grade_here(here, capsys, "--student", "nobody")
    assert missing["exit_code"] == 2 and "no submission of tiny from nobody" in missing["errors"][0]


def test_a_timeout_is_graded_again_alone_and_flagged_when_it_persists(course, tmp_path):
    src = write_class(course, tmp_path / "class", {"sleeper": "import time\ntime.sleep(60)"})
    run = grade(ASSIGNMENT, course=course, out=tmp_path / "graded", submissions=src,
                limits=JobLimits(cpu_seconds=60, wall_seconds=6), progress=False)
    (outcome,) = run.outcomes
    assert (outcome.status, outcome.attempts, outcome.flagged) == (GradeStatus.TIMEOUT, 2, True)
    assert "6.00 s idle wall-clock limit while running cell 1 (answer)" in outcome.reason


def test_measure_prints_the_limits_from_the_solution(course, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["grade", ASSIGNMENT, "--course", str(course), "--out", str(tmp_path / "out"),
                 "--measure", "--json"]) == 0
    limits = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert limits["cpu_seconds"] == limits["wall_seconds"] == 60  # the floor: tiny is quick
    assert limits["basis"].startswith("3× the solution's")
    assert list((tmp_path / "cache" / "autograder" / "reference").glob("*.json"))


@pytest.mark.parametrize("argv, message", [
    ([], "give the ASSIGNMENT"),
    (["01-pickle", "--memory", "lots"], "'lots' is not a size"),
    (["01-pickle", "--timeout", "0"], "time limits must be a positive"),
    (["01-pickle", "--submissions", "/no/such/dir"], "/no/such/dir: no such folder or zip"),
    (["--sample", "no-such-lesson"], "no sample class for 'no-such-lesson'"),
])
def test_bad_input_is_one_actionable_line(argv, message, capsys, tmp_path):
    assert main(["grade", *argv, "--out", str(tmp_path / "graded")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
