"""Keep lessons/ generated from solutions/, and prove both trees behave (`autograder lessons`).

Generating also compiles each lesson's question bank (solutions/NN-slug/quiz.toml) into the
package (autograder/course/quizzes/), and the drift check covers both.

`nbgrader validate` always exits 0, so scripts and tests use `validate` here: nbgrader's own
Validator, run on a copy of the assignment folder so artifacts never land in the source tree.
It also hands back the executed notebook, so one run can serve many checks (tests/).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from autograder.common.paths import ROOT, course_config
from autograder.common.text import last_line
from autograder.course import quizbank
from autograder.course.measure import QUICK_VARIABLE


def assignment_ids(root: Path = ROOT) -> list[str]:
    """Lesson ids NN-slug: each folder in solutions/ holding a notebook of the same name."""
    return sorted(p.name for p in (root / "solutions").glob("[0-9][0-9]-*")
                  if (p / f"{p.name}.ipynb").is_file())


def nbgrader_bin() -> str:
    """The nbgrader next to this interpreter, so it runs with the course's environment."""
    return str(Path(sys.executable).with_name("nbgrader"))


def generate_lessons(root: Path = ROOT, release: Path | None = None) -> None:
    """Run `nbgrader generate_assignment` for every lesson, into lessons/ or into `release`.

    Into lessons/ (no `release`), it first compiles every question bank into the package.
    """
    if release is None:
        quizbank.write_all(root)
    for assignment in assignment_ids(root):
        command = [nbgrader_bin(), "generate_assignment", assignment, "--force", "--no-db",
                   "--log-level=WARN"]
        if release is not None:
            command.append(f"--CourseDirectory.release_directory={release}")
        subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)


def drift(root: Path = ROOT) -> list[str]:
    """Files that differ between the committed lessons/ and a fresh generation."""
    with tempfile.TemporaryDirectory(prefix="lessons-") as tmp:
        fresh = Path(tmp) / "lessons"
        generate_lessons(root, fresh)
        lessons = _differences(filecmp.dircmp(root / "lessons", fresh), Path("lessons"))
    return sorted(lessons + quizbank.drift(root))


def _differences(cmp: filecmp.dircmp, prefix: Path) -> list[str]:
    ignored = {"artifacts", ".ipynb_checkpoints", "__pycache__"}
    out = [f"{prefix / name}: only in the committed tree" for name in cmp.left_only
           if name not in ignored]
    out += [f"{prefix / name}: missing (run `make lessons`)" for name in cmp.right_only]
    out += [f"{prefix / name}: differs from a fresh generation" for name in cmp.diff_files]
    for name, sub in cmp.subdirs.items():
        if name not in ignored:
            out += _differences(sub, prefix / name)
    return out


@dataclass(frozen=True, kw_only=True)
class Validation:
    notebook: str
    invert: bool
    ok: bool
    seconds: float
    problems: list[str] = field(default_factory=list)
    executed: Any = field(default=None, repr=False, compare=False)  # the run's NotebookNode


def validate(notebook: Path, *, invert: bool = False, quick: bool = False,
             root: Path = ROOT) -> Validation:
    """nbgrader's Validator on a copy of the notebook's folder; keeps the executed notebook.

    Solutions (invert=False) must run with every grade cell passing and no error or stderr
    output in any cell (`validate_all`): a clean run is part of the exemplar. Student versions
    (invert=True) must have every grade cell failing, and unchanged locked cells. `quick` runs
    the kernel with AUTOGRADER_QUICK=1 (fewer repetitions, smaller demonstration arrays).
    """
    from nbgrader.validator import Validator

    class KeepingValidator(Validator):
        executed = None

        def _preprocess(self, nb):
            self.executed = super()._preprocess(nb)
            return self.executed

    notebook = Path(notebook)
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        work = Path(tmp) / notebook.parent.name
        shutil.copytree(notebook.parent, work, ignore=shutil.ignore_patterns("artifacts"))
        validator = KeepingValidator(config=course_config(root))
        validator.invert = invert
        validator.validate_all = not invert
        start = time.perf_counter()
        with mock.patch.dict(os.environ, {QUICK_VARIABLE: "1" if quick else "0"}):  # to the kernel
            results = validator.validate(str(work / notebook.name))
        seconds = time.perf_counter() - start
    # A traceback's last line says what went wrong; a failing cell's source ends in its assert.
    problems = [f"{kind}: {last_line(cell.get('raw_error') or cell['source'])}"
                for kind, cells in results.items() for cell in cells]
    return Validation(notebook=str(notebook), invert=invert, ok=not problems, seconds=seconds,
                      problems=problems, executed=validator.executed)
