"""Both trees of every lesson: generated without drift, solutions pass, student versions fail.

Each notebook executes once per direction: `validate` runs nbgrader's Validator, which also
proves the solution runs top to bottom without an error or stderr output (`make bench` times
it against its goal).
"""

import json

import pytest

from autograder.common.paths import ROOT
from autograder.course.authoring import assignment_ids, drift, validate

ASSIGNMENTS = assignment_ids()


def notebook(tree: str, assignment: str) -> dict:
    return json.loads((ROOT / tree / assignment / f"{assignment}.ipynb").read_text())


def nbgrader_cells(nb: dict) -> list[tuple[dict, dict]]:
    return [(cell, cell["metadata"]["nbgrader"]) for cell in nb["cells"]
            if "nbgrader" in cell["metadata"]]


def test_lessons_are_discovered():
    assert "01-pickle" in ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        assert (ROOT / "lessons" / assignment / f"{assignment}.ipynb").is_file(), (
            f"lessons/{assignment} is missing: run `make lessons`")


def test_lessons_are_exactly_what_generation_produces():
    assert drift() == []


@pytest.mark.parametrize("tree", ["solutions", "lessons"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_stored_without_outputs(tree, assignment):
    for cell in notebook(tree, assignment)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:80]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_follows_the_lesson_conventions(assignment):
    cells = nbgrader_cells(notebook("solutions", assignment))
    graded = [(cell, meta) for cell, meta in cells
              if meta.get("grade") and not meta.get("solution")]  # autograded test cells
    manual = [meta for _, meta in cells if meta.get("grade") and meta.get("solution")]
    assert all(meta["points"] > 0 for meta in manual), "manually graded answers carry points"
    exercises = [meta for _, meta in graded if meta["grade_id"] != "test_checkpoint"]
    assert len(exercises) >= 3, "every lesson has at least 3 graded exercises"
    assert all(meta["points"] > 0 for _, meta in graded)
    assert any("### BEGIN HIDDEN TESTS" in "".join(cell["source"]) for cell, _ in graded)
    for cell, meta in graded:
        first = "".join(cell["source"]).lstrip().splitlines()[0]
        assert first.startswith('"""'), f"{meta['grade_id']} should open with a one-line docstring"
        assert meta["locked"], f"{meta['grade_id']} must be locked"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_holds_no_solutions_or_hidden_tests(assignment):
    text = json.dumps(notebook("lessons", assignment))
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_test_cleanly(assignment):
    """Its run time is measured, against a goal, by `make bench` (bench/course.py)."""
    result = validate(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    assert result.ok, "\n".join(result.problems)


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_fails_every_test(assignment):
    result = validate(ROOT / "lessons" / assignment / f"{assignment}.ipynb", invert=True)
    assert result.ok, "\n".join(result.problems)
