"""How the grading service grades one collected submission: a command line, in a subprocess.

`autograder grade ASSIGNMENT --course COURSE --student ID` grades COURSE/submitted/ID/ASSIGNMENT
into the course's own gradebook, autograded/ and feedback/, sandboxed, like `nbgrader autograde`
followed by `nbgrader generate_feedback` for that one student.

Until that form of `autograder grade` is installed (it takes `--course`), the service runs
those two stock nbgrader commands instead, unsandboxed, and says so in the hub's log.
"""

from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path


@cache
def sandboxed_grader() -> bool:
    """Does this environment's `autograder grade` grade a course in place (`--course`)?"""
    from autograder.cli import grade

    parser = argparse.ArgumentParser()
    grade.add_arguments(parser)
    return "--course" in parser._option_string_actions


def commands(bin_dir: Path, course: Path, assignment: str, student: str) -> list[list[str]]:
    if sandboxed_grader():
        return [[str(bin_dir / "autograder"), "grade", assignment, "--course", str(course),
                 "--student", student]]
    return [[str(bin_dir / "nbgrader"), step, assignment, "--student", student, "--force"]
            for step in ("autograde", "generate_feedback")]


def describe() -> str:
    return ("autograder grade --course (sandboxed)" if sandboxed_grader() else
            "stock nbgrader autograde + generate_feedback (NOT sandboxed: this environment's "
            "`autograder grade` has no --course yet)")
