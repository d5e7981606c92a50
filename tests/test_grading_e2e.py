"""End to end: grade the bundled sample class of every lesson that has one, as `make grade` does.

One parallel run (2 workers) of the whole class from its LMS-style zip, then a sequential rerun
(1 worker) of one submission into the same gradebook: grades must be identical and nothing else
may move. The looping submission costs one timeout, so it is kept short.
"""

import csv
import hashlib
import sqlite3
import zipfile

import pytest

from autograder.common.paths import ROOT
from autograder.grading import samples
from autograder.grading.limits import Limits
from autograder.grading.orchestrator import grade
from autograder.grading.redact import REDACTED, hidden_lines, normalize

pytestmark = pytest.mark.notebook
TIMEOUT = 90  # seconds per submission: the capstone takes ~50 s, ~70 s on a busy machine
RERUN = ("partly-right", "float32-exact")  # the first of these a class has is graded again


def tree_digest(*folders) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "artifacts" not in path.parts:
                h.update(str(path).encode() + path.read_bytes())
    return h.hexdigest()


def hidden_test_lines(assignment: str) -> set[str]:
    """Lines only the hidden tests have: generic ones (`with quietly():`) are in the release."""
    import nbformat

    def notebook(tree):
        return nbformat.read(ROOT / tree / assignment / f"{assignment}.ipynb", as_version=4)

    hidden = set().union(*(hidden_lines(c.source) for c in notebook("solutions").cells))
    released = {normalize(line) for c in notebook("lessons").cells
                for line in c.source.splitlines()}
    return hidden - released


def lesson_points(assignment: str) -> float:
    import nbformat

    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade"))


@pytest.fixture(scope="module", params=samples.sample_assignments())
def graded(request, tmp_path_factory):
    assignment = request.param
    tmp = tmp_path_factory.mktemp(f"grade-{assignment}")
    course_before = tree_digest(ROOT / "solutions" / assignment, ROOT / "lessons" / assignment)
    class_zip = samples.write_class(assignment, tmp / "class.zip", as_zip=True)
    zip_before = class_zip.read_bytes()
    out = tmp / "graded"
    run = grade(assignment, class_zip, out=out, workers=2, limits=Limits(timeout=TIMEOUT),
                progress=False)
    grades_csv = (out / "grades.csv").read_text()

    students = [s.student for s in samples.load_class(assignment)]
    again = next(name for name in RERUN if name in students)
    subset = samples.write_class(assignment, tmp / "subset")
    for folder in subset.iterdir():
        if folder.name != again:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
    rerun = grade(assignment, subset, out=out, workers=1, limits=Limits(timeout=TIMEOUT),
                  progress=False)
    return {"assignment": assignment, "run": run, "rerun": rerun, "again": again, "out": out,
            "zip": class_zip, "zip_before": zip_before, "grades_csv": grades_csv,
            "course_before": course_before, "samples": samples.load_class(assignment)}


def test_every_sample_gets_its_expected_grade_status_and_reason(graded):
    by_student = {o.student: o for o in graded["run"].outcomes}
    assert sorted(by_student) == sorted(s.student for s in graded["samples"])
    problems = {s.student: samples.check(s, by_student[s.student].status,
                                         by_student[s.student].score,
                                         by_student[s.student].reason)
                for s in graded["samples"]}
    assert {k: v for k, v in problems.items() if v} == {}


def test_hostile_submissions_score_zero_with_a_reason(graded):
    by_student = {o.student: o for o in graded["run"].outcomes}
    for student in [s.student for s in graded["samples"] if s.hostile]:
        assert by_student[student].score == 0 and by_student[student].reason


def test_every_submission_ran_in_the_sandbox_this_os_allows(graded):
    for outcome in graded["run"].outcomes:
        if outcome.status == "graded":
            assert outcome.isolation.files.startswith(("hidden", "not hidden")), outcome
        assert outcome.isolation.network  # reported, whatever it is


def test_nothing_outside_the_working_copies_changed(graded):
    assert graded["run"].tampered == [] and graded["rerun"].tampered == []
    assert graded["zip"].read_bytes() == graded["zip_before"]
    assert tree_digest(ROOT / "solutions" / graded["assignment"],
                       ROOT / "lessons" / graded["assignment"]) == graded["course_before"]
    # every imported submission is byte for byte what the zip held
    out, assignment = graded["out"], graded["assignment"]
    with zipfile.ZipFile(graded["zip"]) as archive:
        for name in archive.namelist():
            student = name.split("_")[0]
            if student == graded["again"]:
                continue  # re-imported from the folder copy: same notebook, same grades
            path = out / "submitted" / student / assignment / f"{assignment}.ipynb"
            assert path.read_bytes() == archive.read(name), student


def test_the_gradebook_is_sound_and_holds_exactly_the_outcomes(graded):
    points = lesson_points(graded["assignment"])
    with sqlite3.connect(graded["out"] / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM grade WHERE auto_score > ?",
                          (points,)).fetchone() == (0,)
        cells = db.execute("SELECT max_score FROM grade_cells").fetchall()
    assert sum(m for (m,) in cells) == points  # the snoop's UPDATE never reached it
    rows = {r["student_id"]: float(r["score"])
            for r in csv.DictReader(graded["grades_csv"].splitlines())}
    assert rows == pytest.approx({o.student: o.score for o in graded["run"].outcomes})


def test_a_sequential_rerun_gives_identical_grades_and_changes_nothing_else(graded):
    parallel = {o.student: o for o in graded["run"].outcomes}
    for outcome in graded["rerun"].outcomes:
        assert outcome.cells == parallel[outcome.student].cells
        assert outcome.reason == parallel[outcome.student].reason
    assert (graded["out"] / "grades.csv").read_text() == graded["grades_csv"]


def test_feedback_exists_and_never_shows_hidden_tests(graded):
    out, assignment = graded["out"], graded["assignment"]
    lines = hidden_test_lines(assignment)
    assert lines
    redactions = 0
    for outcome in graded["run"].outcomes:
        html_path = out / "feedback" / outcome.student / assignment / f"{assignment}.html"
        assert html_path.exists() == (outcome.status == "graded"), outcome.student
        if html_path.exists():
            text = normalize(html_path.read_text())
            assert not [line for line in lines if line in text], outcome.student
            redactions += text.count(REDACTED)
    if any(s.student == "snoop" for s in graded["samples"]):
        assert redactions > 0  # the snoop printed hidden tests; the feedback redacted them
