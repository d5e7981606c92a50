"""A tiny nbgrader course for the grading tests: one notebook, one exercise, one hidden test.

It uses the real course's nbgrader_config.py, so the tests grade with the course's settings,
and it grades in a few seconds instead of a lesson's half minute.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.common.paths import ROOT
from autograder.grading.course import GradingCourse, define_assignment

ASSIGNMENT = "tiny"
HIDDEN = 'assert answer * 2 == 84, "the hidden check disagrees"'


def nbgrader_meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    return new_notebook(cells=[
        new_code_cell("import time", metadata=nbgrader_meta("setup", locked=True)),
        new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
                      metadata=nbgrader_meta("answer", solution=True)),
        new_code_cell('"""answer is 42."""\nassert answer == 42, "answer should be 42"\n'
                      f"### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS",
                      metadata=nbgrader_meta("test_answer", grade=True, locked=True, points=2)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


def make_course(root: Path) -> Path:
    """root/nbgrader_config.py, solutions/tiny/tiny.ipynb and its release in lessons/."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    scratch = root / ".release-db"
    define_assignment(GradingCourse.open(root, out=scratch), ASSIGNMENT, root / "lessons")
    shutil.rmtree(scratch)
    return root


def submission(root: Path, answer: str | None = None, *, delete: tuple[str, ...] = ()):
    """The released notebook with the answer cell replaced."""
    nb = nbformat.read(root / "lessons" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer" and answer is not None:
            cell.source = answer
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") not in delete]
    return nb


def write_class(root: Path, folder: Path, answers: dict[str, str | None]) -> Path:
    for student, answer in answers.items():
        (folder / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(root, answer), folder / student / f"{ASSIGNMENT}.ipynb")
    return folder
