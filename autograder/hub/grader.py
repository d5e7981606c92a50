"""How the grading service grades collected submissions: one command line, in a subprocess.

    autograder grade ASSIGNMENT --course COURSE --student ID [ID ...] --workers N --force --json

grades COURSE/submitted/ID/ASSIGNMENT for each ID into the course's own gradebook, autograded/
and feedback/, sandboxed, under the course's limits (CPU time derived from the solution's), as
`nbgrader autograde` followed by `nbgrader generate_feedback` would for those students, and
prints one JSON object with each one's outcome. Several waiting submissions of one assignment
go to one run, so the grader's fixed costs (starting, reading the course, defining the
assignment) are paid once per batch.

    autograder grade ASSIGNMENT --course COURSE --measure --json

measures the solution once an assignment is released, so that its first submission does not
wait for that measurement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GRADED = "graded"
DESCRIPTION = "autograder grade --course (sandboxed, CPU-time limits from the solution)"


def command(bin_dir: Path, course: Path, assignment: str, students: list[str],
            workers: int) -> list[str]:
    return [str(bin_dir / "autograder"), "grade", assignment, "--course", str(course),
            "--student", *students, "--workers", str(workers), "--force", "--json"]


def measure_command(bin_dir: Path, course: Path, assignment: str) -> list[str]:
    return [str(bin_dir / "autograder"), "grade", assignment, "--course", str(course),
            "--measure", "--json"]


def last_json(output: str) -> dict | None:
    """The grader's one JSON object (its last line that is one), or None."""
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class Verdict:
    graded: bool
    reason: str = ""


def verdicts(result: dict, students: list[str]) -> dict[str, Verdict]:
    """Each student's outcome from `autograder grade --json`'s object; a student it does not
    mention was not graded."""
    # a failure the command did not foresee is the command line's own {"error": ...}
    errors = result.get("errors") or [e for e in [result.get("error")] if e]
    outcomes = {o["student"]: o for run in result.get("runs", [])
                for o in run.get("outcomes", [])}
    if errors and not outcomes:
        return {s: Verdict(False, "; ".join(map(str, errors))) for s in students}
    return {s: Verdict(True) if outcomes.get(s, {}).get("status") == GRADED else
            Verdict(False, outcomes[s].get("reason") or outcomes[s].get("status", "")
                    if s in outcomes else "the grader did not grade it")
            for s in students}
