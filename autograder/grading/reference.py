"""How long grading the assignment's own solution takes: what a submission's limits come from.

The source notebooks (solutions and hidden tests) are graded once like a submission, in the
same sandbox and mode, and its CPU and wall-clock time become the basis of every submission's
limits (`JobLimits.from_reference`). The measurement is kept in a small cache keyed by the
source notebooks, the course's settings, the mode, the machine and the grader's own code, so
it is paid once per version of an assignment, not once per run (a grade-on-submit service
grading one student at a time pays it on the first submission only).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.grading.course import GradingCourse
from autograder.grading.gradebook import cache_folder

STUDENT = "autograder-reference"  # the solution's student id, in its own job's gradebook only


@dataclass(frozen=True, kw_only=True)
class Reference:
    cpu_seconds: float
    wall_seconds: float  # the whole job: sandbox, autograde, feedback
    execute_seconds: float = 0.0  # of which the notebook's own run, kernel start to shutdown


@functools.cache
def grader_digest() -> str:
    """The grader's own code (this package, lesson helpers included): a new version may run
    the same solution in a different time, as quick mode's tail skip did."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def key(course: GradingCourse, assignment: str, quick: bool) -> str:
    """What the solution's run time depends on: its notebooks, the settings, mode, machine and
    grader."""
    from nbgrader import __version__

    h = hashlib.sha256()
    source = course.path("source_directory", ".", assignment)
    config_file = course.root / "nbgrader_config.py"
    for path in sorted(source.rglob("*.ipynb")) + [config_file]:
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            h.update(str(path.relative_to(course.root)).encode())
            with open(path, "rb") as f:
                h.update(hashlib.file_digest(f, "sha256").digest())
    h.update(repr((quick, platform.node(), os.cpu_count(), sys.version, __version__,
                   grader_digest())).encode())
    return h.hexdigest()[:32]


def folder() -> Path:
    return cache_folder() / "reference"


def cached(name: str) -> Reference | None:
    try:
        return Reference(**json.loads((folder() / f"{name}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def forget(name: str) -> None:
    (folder() / f"{name}.json").unlink(missing_ok=True)


def store(name: str, reference: Reference) -> None:
    try:
        folder().mkdir(parents=True, exist_ok=True)
        tmp = folder() / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(asdict(reference)))
        tmp.replace(folder() / f"{name}.json")
    except OSError:
        pass  # no cache: measured again next time


def solution_submission(course: GradingCourse, assignment: str, dest: Path) -> Path:
    """The source folder as a submission: its notebooks and the files nbgrader would release
    (the course's ignore patterns leave saved models and checkpoints out)."""
    from nbgrader.utils import find_all_files

    source = course.path("source_directory", ".", assignment)
    ignore = list(course.coursedir().ignore)
    if dest.exists():
        shutil.rmtree(dest)
    for path in map(Path, find_all_files(str(source), ignore)):
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dest
