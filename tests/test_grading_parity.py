"""Parity with stock nbgrader on material nobody here wrote: nbgrader's own example course.

The course (`grading_course.make_nbgrader_course`) is ps1 of nbgrader's user guide (bitdiddle,
who is late, and hacker) plus its autograde test fixtures (a cheat attempt, a changed grade
cell, a changed locked cell, a hidden-test notebook), with a due date, a late-penalty plugin
and a header file given relative to the course folder, `student_id_exclude`, a deleted test
cell, missing notebooks, the untouched release, and the ids `zoë` and `jane doe`.

Two copies of it are graded side by side: one with `nbgrader autograde ps1` followed by
`nbgrader generate_feedback ps1`, the other with `autograder grade ps1`, both run in the
course folder. Everything nbgrader records must be identical; the time of each is printed.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from grading_course import PS1, PS1_SOURCES, make_nbgrader_course

from autograder.grading.redact import hidden_lines, normalize

pytestmark = pytest.mark.notebook
GRADED = {"bitdiddle", "hacker", "zoë", "jane doe", "cheater", "grade-cell-changed",
          "locked-cell-changed", "test-deleted"}


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    return env


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return time.perf_counter() - start


def recorded(course: Path) -> dict:
    """Everything autograde records, per student: scores, flags, comments, penalties."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {sub.student.id: {
            "final": sub.score - sub.late_submission_penalty,
            "late": sub.late_submission_penalty,
            "timestamp": sub.timestamp,
            "notebooks": {nb.name: (
                nb.late_submission_penalty,
                sorted((g.name, g.auto_score, g.needs_manual_grade) for g in nb.grades),
                sorted((c.name, c.auto_comment) for c in nb.comments)) for nb in sub.notebooks},
        } for sub in gb.assignment_submissions(PS1)}


def feedback_pages(course: Path) -> dict[str, str]:
    return {str(p.relative_to(course / "feedback")): p.read_text()
            for p in sorted((course / "feedback").rglob("*.html"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbgrader-course")
    course = make_nbgrader_course(tmp / "course", environment())
    stock, ours = shutil.copytree(course, tmp / "stock"), shutil.copytree(course, tmp / "ours")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    stock_seconds = timed([*nbgrader, "autograde", PS1], stock) + \
        timed([*nbgrader, "generate_feedback", PS1], stock)
    our_seconds = timed([str(Path(sys.executable).parent / "autograder"), "grade", PS1], ours)
    print(f"\nnbgrader's example course, {len(GRADED)} submissions: stock autograde + "
          f"generate_feedback {stock_seconds:.1f} s, autograder grade {our_seconds:.1f} s")
    return {"stock": stock, "ours": ours}


def test_every_score_comment_and_late_penalty_is_what_stock_nbgrader_records(graded):
    stock, ours = recorded(graded["stock"]), recorded(graded["ours"])
    assert set(stock) == GRADED  # excluded students, and a folder without notebooks, are not
    assert ours == stock
    assert stock["bitdiddle"]["late"] > 0  # the late submission really was penalized


def test_feedback_exists_for_every_page_stock_writes_and_never_shows_hidden_tests(graded):
    stock, ours = feedback_pages(graded["stock"]), feedback_pages(graded["ours"])
    assert sorted(ours) == sorted(stock)
    source = nbformat.read(PS1_SOURCES["hidden"], as_version=4)
    release = nbformat.read(graded["stock"] / "release" / PS1 / "hidden.ipynb", as_version=4)
    released = {normalize(line) for cell in release.cells for line in cell.source.splitlines()}
    hidden = set().union(*(hidden_lines(cell.source) for cell in source.cells)) - released
    pages = [name for name in ours if name.endswith("/hidden.html")]
    assert hidden and pages
    for name in pages:
        assert [line for line in hidden if line in normalize(stock[name])]  # stock shows them
        assert not [line for line in hidden if line in normalize(ours[name])], name
