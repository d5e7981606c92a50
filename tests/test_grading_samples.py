"""autograder.grading.samples: every sample class builds from its lesson, deterministically."""

import re
import zipfile

import nbformat
import pytest

from autograder.common.paths import ROOT
from autograder.grading import samples
from autograder.grading.intake import DEFAULT_PATTERN
from autograder.grading.outcome import grade_id

ASSIGNMENTS = samples.sample_assignments()
KINDS = {"correct", "partly-right", "stubs", "raises", "loops-forever", "memory-hog", "snoop",
         "tamper"}


CLASSIC = {"01-pickle": {"class-in-notebook", "text-mode", "wrong-path"},
           "04-onnx": {"float32-exact", "text-mode", "wrong-path"}}


@pytest.mark.parametrize("assignment", sorted(CLASSIC))
def test_two_lessons_have_every_kind_of_submission_and_their_classic_mistakes(assignment):
    students = {s.student for s in samples.load_class(assignment)}
    assert KINDS | CLASSIC[assignment] <= students


@pytest.mark.parametrize("assignment", sorted(CLASSIC))
def test_each_classic_mistake_names_a_catalogued_mistake(assignment):
    """What its feedback page and the class report must name (`make grade` checks it)."""
    from autograder.course import mistakes

    by_name = {s.student: s for s in samples.load_class(assignment)}
    for student in CLASSIC[assignment]:
        assert by_name[student].mistakes, student
    for sample in by_name.values():
        for mistake in sample.mistakes:
            assert mistakes.get(mistake).lesson, (sample.student, mistake)


def test_the_capstone_is_in_the_sample_class_with_a_mistake_of_its_own():
    students = {s.student for s in samples.load_class("07-capstone")}
    assert {"correct", "float32-exact", "stubs"} <= students


def test_a_shared_hostile_submission_is_the_same_code_in_every_lesson():
    snoops = {a: next(s for s in samples.load_class(a) if s.student == "snoop")
              for a in CLASSIC}
    first, second = snoops.values()
    assert first.cells == second.cells and first.hostile and second.hostile
    assert "sqlite3" in first.cells["checkpoint_answers"]


def test_like_must_name_a_shared_submission(tmp_path):
    (tmp_path / "samples" / "01-pickle").mkdir(parents=True)
    (tmp_path / "samples" / "hostile.toml").write_text('[snoop]\nexpected = 0\n')
    (tmp_path / "samples" / "01-pickle" / "class.toml").write_text(
        '[students.x]\nlike = "snop"\n')
    with pytest.raises(ValueError, match="student 'x' is like 'snop'"):
        samples.load_class("01-pickle", tmp_path)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_sample_builds_and_says_what_to_expect(assignment):
    for sample in samples.load_class(assignment):
        nb = samples.build_notebook(sample, assignment)
        text = nbformat.writes(nb)
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        assert sample.about and sample.status in ("graded", "timeout")
        if sample.hostile:
            assert sample.expected == 0, f"{sample.student}: a hostile submission scores 0"
        for name in sample.delete:
            assert name not in {grade_id(c) for c in nb.cells}


def test_solved_samples_hold_the_solution_code():
    correct = next(s for s in samples.load_class("01-pickle") if s.student == "correct")
    nb = samples.build_notebook(correct, "01-pickle")
    sources = {grade_id(c): c.source for c in nb.cells}
    assert "NotImplementedError" not in sources["save_model"]
    assert 'open(path, "wb")' in sources["save_model"]


def test_an_unknown_cell_is_a_clear_error(tmp_path):
    (tmp_path / "samples" / "01-pickle").mkdir(parents=True)
    (tmp_path / "samples" / "01-pickle" / "class.toml").write_text(
        '[students.x]\nexpected = 0\ncells.no_such_cell = "pass"\n')
    for tree in ("lessons", "solutions"):
        (tmp_path / tree).symlink_to(ROOT / tree)
    sample = samples.load_class("01-pickle", tmp_path)[0]
    with pytest.raises(ValueError, match="names cell 'no_such_cell'"):
        samples.build_notebook(sample, "01-pickle", tmp_path)


def test_the_zip_is_deterministic_and_named_as_lms_downloads_are(tmp_path):
    first = samples.write_class("01-pickle", tmp_path / "a.zip", as_zip=True)
    second = samples.write_class("01-pickle", tmp_path / "b.zip", as_zip=True)
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    for name, sample in zip(names, samples.load_class("01-pickle"), strict=True):
        m = re.match(DEFAULT_PATTERN, f"/extracted/{name}")
        assert m and m["student_id"] == sample.student and m["file_id"] == "01-pickle.ipynb"


def test_check_compares_status_score_and_reason():
    expected, reason = 2 * 4 / 7 + 3, "1 of 4 tests passed"
    sample = samples.Sample(student="s", about="about", expected=4.142857142857143,
                            reason=reason)
    assert samples.check(sample, "graded", expected, reason + "; x") == ""
    assert "score 3" in samples.check(sample, "graded", 3.0, reason)
    assert "status timeout" in samples.check(sample, "timeout", expected, reason)
    assert "reason" in samples.check(sample, "graded", expected, "other")
