"""How the grading service grades collected submissions: one command line, in a subprocess.

    autograder grade ASSIGNMENT --course COURSE --student ID [ID ...] --workers N --force --json

grades COURSE/submitted/ID/ASSIGNMENT for each ID into the course's own gradebook, autograded/
and feedback/, sandboxed and in parallel, like `nbgrader autograde` followed by `nbgrader
generate_feedback` for those students, and prints one JSON object with each one's outcome.
Several waiting submissions of one assignment go to one run, so the grader's fixed costs
(starting, reading the course, defining the assignment) are paid once per batch.

Until that form of `autograder grade` is installed (it takes `--course`), the service runs the
two stock nbgrader commands for each student in turn instead, unsandboxed, and says so in the
hub's log.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GRADED = "graded"


@cache
def sandboxed_grader() -> bool:
    """Does this environment's `autograder grade` grade a course in place (`--course`)?"""
    from autograder.cli import grade

    parser = argparse.ArgumentParser()
    grade.add_arguments(parser)
    return "--course" in parser._option_string_actions


def describe() -> str:
    return ("autograder grade --course (sandboxed)" if sandboxed_grader() else
            "stock nbgrader autograde + generate_feedback, one student at a time (NOT "
            "sandboxed: this environment's `autograder grade` has no --course yet)")


def commands(bin_dir: Path, course: Path, assignment: str, students: list[str],
             workers: int) -> list[list[str]]:
    if sandboxed_grader():
        return [[str(bin_dir / "autograder"), "grade", assignment, "--course", str(course),
                 "--student", *students, "--workers", str(workers), "--force", "--json"]]
    return [[str(bin_dir / "nbgrader"), step, assignment, "--student", student, "--force"]
            for student in students for step in ("autograde", "generate_feedback")]


@dataclass(frozen=True)
class Verdict:
    graded: bool
    reason: str = ""


def verdicts(output: str, students: list[str]) -> dict[str, Verdict]:
    """Each student's outcome from `autograder grade --json`'s last line; a student it does not
    mention was not graded. (The stock commands print no JSON: their exit codes say it.)"""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        return {s: Verdict(True) for s in students}
    result = json.loads(lines[-1])
    errors = [result["error"]] if "error" in result else result.get("errors", [])
    outcomes = {o["student"]: o for run in result.get("runs", [result])
                for o in run.get("outcomes", [])}
    if errors and not outcomes:
        return {s: Verdict(False, "; ".join(map(str, errors))) for s in students}
    return {s: Verdict(True) if outcomes.get(s, {}).get("status") == GRADED else
            Verdict(False, outcomes[s].get("reason") or outcomes[s].get("status", "")
                    if s in outcomes else "the grader did not grade it")
            for s in students}
