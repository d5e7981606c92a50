"""End to end: grade the bundled sample classes as `make grade` does, in quick mode, with the
time limits measured from each solution.

One parallel run (2 workers) of each class from its LMS-style zip. `make grade` grades every
sample of every lesson and checks each classic mistake; here a class grades only what the
grading machinery needs shown on a real lesson (`PROVES`): full and partial marks, the hostile
submissions (memory, reading hidden tests, rewriting gradebooks, editing and deleting tests),
and the capstone, whose files include every format (ONNX too) checked in the sandbox. The
looping submission is left to `make grade` (its timeout costs two wall-clock ceilings);
tests/test_grading_workers.py and test_grading_cli.py prove timeouts on the tiny course.

The capstone, the longest lesson, is graded while two busy processes load both cores, with
limits from its solution measured beforehand, and its correct work must still get full marks.
01-pickle is then graded again, one submission, sequentially, into the same gradebook: grades
must be identical and nothing else may move.
"""

import csv
import hashlib
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import contextmanager

import pytest

from autograder.common.paths import ROOT
from autograder.grading import samples
from autograder.grading.orchestrator import grade, measure_solution
from autograder.grading.outcome import GradeStatus
from autograder.grading.redact import REDACTED, hidden_lines, normalize

pytestmark = pytest.mark.notebook
PROVES = {"01-pickle": ("correct", "partly-right", "memory-hog", "snoop", "tamper"),
          "07-capstone": ("correct",)}
UNDER_LOAD = {"07-capstone"}
RERUN = {"01-pickle": "partly-right"}


@contextmanager
def busy_cores(n: int):
    """n processes that spin as fast as they can, for as long as the block runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def chosen(assignment: str) -> list[samples.Sample]:
    return [s for s in samples.load_class(assignment) if s.student in PROVES[assignment]]


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


def only(folder, students):
    for student in list(folder.iterdir()):
        if student.name not in students:
            for path in student.iterdir():
                path.unlink()
            student.rmdir()
    return folder


@pytest.fixture(scope="module", params=sorted(PROVES))
def graded(request, tmp_path_factory):
    assignment = request.param
    tmp = tmp_path_factory.mktemp(f"grade-{assignment}")
    course_before = tree_digest(ROOT / "solutions" / assignment, ROOT / "lessons" / assignment)
    students = {s.student for s in chosen(assignment)}
    class_zip = samples.write_class(assignment, tmp / "class.zip", as_zip=True)
    with zipfile.ZipFile(class_zip) as full, zipfile.ZipFile(tmp / "some.zip", "w") as some:
        for info in full.infolist():
            if info.filename.split("_")[0] in students:
                some.writestr(info, full.read(info))
    class_zip = tmp / "some.zip"
    zip_before = class_zip.read_bytes()
    out = tmp / "graded"
    measure_solution(assignment, out=out)  # on a quiet machine, unless it is cached already
    with busy_cores(2 if assignment in UNDER_LOAD else 0):
        run = grade(assignment, submissions=class_zip, out=out, workers=2, progress=False)
    grades_csv = (out / "grades.csv").read_text()
    rerun, again = None, RERUN.get(assignment)
    if again:
        subset = only(samples.write_class(assignment, tmp / "subset"), {again})
        rerun = grade(assignment, submissions=subset, out=out, workers=1, progress=False)
    return {"assignment": assignment, "run": run, "rerun": rerun, "again": again, "out": out,
            "zip": class_zip, "zip_before": zip_before, "grades_csv": grades_csv,
            "course_before": course_before, "samples": chosen(assignment)}


def test_the_capstones_correct_work_gets_full_marks_on_a_busy_machine(graded):
    if graded["assignment"] not in UNDER_LOAD:
        pytest.skip("graded on a quiet machine")
    correct = next(o for o in graded["run"].outcomes if o.student == "correct")
    expected = next(s.expected for s in graded["samples"] if s.student == "correct")
    assert (correct.status, correct.score) == (GradeStatus.GRADED, expected), correct.reason
    print(f"\ncapstone's correct sample under two busy loops: {correct.score:g} points, "
          f"{correct.seconds:.0f} s ({correct.cpu_seconds:.0f} s CPU), attempts "
          f"{correct.attempts}; limits: {graded['run'].limits.describe()}")


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
    assert graded["run"].tampered == []
    assert graded["rerun"] is None or graded["rerun"].tampered == []
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
    if graded["rerun"] is None:
        pytest.skip("shown on 01-pickle")
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
        assert html_path.exists() == (outcome.status == GradeStatus.GRADED), outcome.student
        if html_path.exists():
            text = normalize(html_path.read_text())
            assert not [line for line in lines if line in text], outcome.student
            redactions += text.count(REDACTED)
    if any(s.student == "snoop" for s in graded["samples"]):
        assert redactions > 0  # the snoop printed hidden tests; the feedback redacted them
