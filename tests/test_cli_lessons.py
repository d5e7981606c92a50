"""`autograder lessons`: regenerates lessons/ from solutions/; `--check` exits 1 when lessons/
has drifted (each difference on its own line); `--validate` exits 1 unless every solution
passes its tests and every student version fails them (one verdict line per notebook, each
problem indented under it).

The real generation and validation run nbgrader on every lesson (minutes): they are checked in
tests/test_course_authoring.py. Here they are replaced by fakes, so what is checked is how the
command words their results and turns them into an exit code."""

import pytest

from autograder.cli import main
from autograder.common.paths import ROOT
from autograder.course import authoring

LESSONS = ["01-pickle", "02-joblib"]


@pytest.fixture
def fake(monkeypatch):
    """Two lessons; generation recorded, drift and validation as `fake` says."""
    state = {"generated": 0, "drift": [], "failing": {}, "validated": []}

    def generate():
        state["generated"] += 1

    def validate(notebook, *, invert=False):
        state["validated"].append((notebook, invert))
        problems = state["failing"].get(notebook.relative_to(ROOT).parts[0], [])
        return authoring.Validation(notebook=str(notebook), invert=invert, ok=not problems,
                                    seconds=12.4, problems=problems)

    monkeypatch.setattr(authoring, "assignment_ids", lambda: LESSONS)
    monkeypatch.setattr(authoring, "generate_lessons", generate)
    monkeypatch.setattr(authoring, "drift", lambda: state["drift"])
    monkeypatch.setattr(authoring, "validate", validate)
    return state


def test_without_options_it_regenerates(fake, capsys):
    assert main(["lessons"]) == 0
    assert fake["generated"] == 1
    assert capsys.readouterr().out == "Regenerated lessons/ for 01-pickle, 02-joblib.\n"


def test_check_lists_each_difference_and_fails(fake, capsys):
    assert main(["lessons", "--check"]) == 0
    assert capsys.readouterr().out == "lessons/ is in step with solutions/.\n"
    fake["drift"] = ["lessons/01-pickle/01-pickle.ipynb: differs from a fresh generation",
                     "lessons/02-joblib/data.csv: missing (run `make lessons`)"]
    assert main(["lessons", "--check"]) == 1
    assert capsys.readouterr().out.splitlines() == [*fake["drift"], "lessons/ has drifted."]
    assert fake["generated"] == 0  # a check changes nothing


def test_validate_runs_both_trees_and_fails_on_either(fake, capsys):
    assert main(["lessons", "--validate"]) == 0
    assert [(p.relative_to(ROOT).as_posix(), invert) for p, invert in fake["validated"]] == [
        ("solutions/01-pickle/01-pickle.ipynb", False), ("lessons/01-pickle/01-pickle.ipynb", True),
        ("solutions/02-joblib/02-joblib.ipynb", False), ("lessons/02-joblib/02-joblib.ipynb", True)]
    assert capsys.readouterr().out.splitlines()[:2] == [
        "solutions/01-pickle: all tests pass: ok (12 s)",
        "lessons/01-pickle: all tests fail: ok (12 s)"]
    fake["failing"] = {"lessons": ["test_save_model passed in the student version"]}
    assert main(["lessons", "--validate"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == ["lessons/01-pickle: all tests fail: FAILED (12 s)",
                          "    test_save_model passed in the student version"]


def test_check_and_validate_together_fail_if_either_fails(fake, capsys):
    fake["drift"] = ["lessons/02-joblib/02-joblib.ipynb: differs from a fresh generation"]
    assert main(["lessons", "--check", "--validate"]) == 1
    out = capsys.readouterr().out
    assert "lessons/ has drifted." in out and "solutions/02-joblib: all tests pass: ok" in out
