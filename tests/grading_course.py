"""A tiny nbgrader course for the grading tests: one notebook, one exercise, one hidden test.

It uses the real course's nbgrader_config.py, so the tests grade with the course's settings,
and it grades in a few seconds instead of a lesson's half minute.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import nbgrader
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
        new_code_cell('"""answer is 42."""\n'
                      'assert answer == 42, "answer should be 42 (mistake: different-model)"\n'
                      f"### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS",
                      metadata=nbgrader_meta("test_answer", grade=True, locked=True, points=2)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


def make_course(root: Path, names: tuple[str, ...] = (ASSIGNMENT,)) -> Path:
    """root/nbgrader_config.py, solutions/NAME/NAME.ipynb (the tiny assignment under each of
    `names`) and their releases in lessons/."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    scratch = root / ".release-db"
    for name in names:
        (root / "solutions" / name).mkdir(parents=True)
        nbformat.write(source_notebook(), root / "solutions" / name / f"{name}.ipynb")
        define_assignment(GradingCourse.open(root, out=scratch), name, root / "lessons")
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


# ------------------------------------------------------------------ nbgrader's own material
# The example course of nbgrader's user guide (ps1: bitdiddle and hacker) and the fixtures of
# its autograde tests, as shipped inside the installed nbgrader package: material nobody here
# wrote, graded by stock nbgrader and by ours in tests/test_grading_parity.py.
NBGRADER = Path(nbgrader.__file__).parent
USER_GUIDE = NBGRADER / "docs" / "source" / "user_guide"
FIXTURES = NBGRADER / "tests" / "apps" / "files"
PS1 = "ps1"
DUE = "2015-02-02 17:00:00 UTC"  # the user guide's due date: bitdiddle is six hours late
NBGRADER_CONFIG = '''\
c = get_config()  # noqa: F821
c.IncludeHeaderFooter.header = "source/header.ipynb"  # relative to the course folder
c.AssignLatePenalties.plugin_class = "late_penalty.HalfOff"  # a plugin in the course folder
c.CourseDirectory.student_id_exclude = "excluded"
'''
LATE_PLUGIN = '''\
from nbgrader.plugins import BasePlugin


class HalfOff(BasePlugin):
    """Half of each notebook's score off, however late."""

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return score / 2
'''
# notebook of ps1 -> its source: two from the user guide, two from the autograde fixtures
PS1_SOURCES = {"problem1": USER_GUIDE / "source" / "ps1" / "problem1.ipynb",
               "problem2": USER_GUIDE / "source" / "ps1" / "problem2.ipynb",
               "p1": FIXTURES / "submitted-unchanged.ipynb",
               "hidden": FIXTURES / "test-hidden-tests.ipynb"}
SUBMITTED = USER_GUIDE / "submitted"


def without_cell(path: Path, grade_id: str):
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def nbgrader_class(root: Path) -> dict[str, dict[str, object]]:
    """student -> {file name: source path, notebook, or text}: every kind of submission."""
    release = root / "release" / PS1
    return {
        "bitdiddle": {p.name: p for p in (SUBMITTED / "bitdiddle" / PS1).iterdir()},  # late
        "hacker": {p.name: p for p in (SUBMITTED / "hacker" / PS1).iterdir()},
        "zoë": {"problem1.ipynb": SUBMITTED / "hacker" / PS1 / "problem1.ipynb"},
        "jane doe": {p.name: p for p in release.glob("*.ipynb")},  # the release, untouched
        "cheater": {"p1.ipynb": FIXTURES / "submitted-cheat-attempt.ipynb"},
        "grade-cell-changed": {"p1.ipynb": FIXTURES / "submitted-grade-cell-changed.ipynb"},
        "locked-cell-changed": {"p1.ipynb": FIXTURES / "submitted-locked-cell-changed.ipynb"},
        "test-deleted": {"p1.ipynb": without_cell(FIXTURES / "submitted-changed.ipynb", "bar")},
        "excluded": {"p1.ipynb": FIXTURES / "submitted-changed.ipynb"},  # student_id_exclude
        "no-notebook": {"notes.txt": "nothing to grade here"},
    }


def make_nbgrader_course(root: Path, env: dict[str, str]) -> Path:
    """The course, defined by stock `nbgrader generate_assignment ps1` (with the due date set
    first), and every submission in submitted/: ready for `nbgrader autograde ps1`."""
    import subprocess
    import sys

    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    (root / "source" / PS1).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG)
    (root / "late_penalty.py").write_text(LATE_PLUGIN)
    shutil.copyfile(USER_GUIDE / "source" / "header.ipynb", root / "source" / "header.ipynb")
    shutil.copyfile(FIXTURES / "jupyter.png", root / "source" / PS1 / "jupyter.png")
    for name, path in PS1_SOURCES.items():
        shutil.copyfile(path, root / "source" / PS1 / f"{name}.ipynb")
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(PS1, duedate=parse_utc(DUE))
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", PS1],
                   cwd=root, env=env, check=True, capture_output=True)
    for student, files in nbgrader_class(root).items():
        folder = root / "submitted" / student / PS1
        folder.mkdir(parents=True)
        for name, content in files.items():
            if isinstance(content, Path):
                shutil.copyfile(content, folder / name)
            elif isinstance(content, str):
                (folder / name).write_text(content)
            else:
                nbformat.write(content, folder / name)
    return root
