"""autograder.grading.reference: the solution's measured time, cached per version."""

from grading_course import ASSIGNMENT, make_course

from autograder.grading import reference
from autograder.grading.course import GradingCourse


def test_the_cache_key_follows_the_source_the_mode_and_the_settings(tmp_path):
    course = GradingCourse.open(make_course(tmp_path / "course"))
    first = reference.key(course, ASSIGNMENT, quick=True)
    assert first == reference.key(course, ASSIGNMENT, quick=True)
    assert first != reference.key(course, ASSIGNMENT, quick=False)
    notebook = course.path("source_directory", ".", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(notebook.read_text().replace("answer = 42", "answer = 6 * 7"))
    assert reference.key(course, ASSIGNMENT, quick=True) != first
    with open(course.root / "nbgrader_config.py", "a") as f:
        f.write("\nc.Execute.timeout = 5\n")
    assert reference.key(course, ASSIGNMENT, quick=True) != first


def test_the_cache_key_follows_the_graders_own_code(tmp_path, monkeypatch):
    course = GradingCourse.open(make_course(tmp_path / "course"))
    first = reference.key(course, ASSIGNMENT, quick=True)
    monkeypatch.setattr(reference, "grader_digest", lambda: "another version")
    assert reference.key(course, ASSIGNMENT, quick=True) != first


def test_a_measurement_is_stored_and_found_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert reference.cached("k") is None
    reference.store("k", reference.Reference(cpu_seconds=1.5, wall_seconds=2.5))
    assert reference.cached("k") == reference.Reference(cpu_seconds=1.5, wall_seconds=2.5)


def test_the_solution_is_handed_in_without_what_the_course_ignores(tmp_path):
    course = GradingCourse.open(make_course(tmp_path / "course"))
    source = course.path("source_directory", ".", ASSIGNMENT)
    (source / "data.csv").write_text("x\n1\n")
    (source / "artifacts").mkdir()
    (source / "artifacts" / "model.pkl").write_bytes(b"big")
    folder = reference.solution_submission(course, ASSIGNMENT, tmp_path / "solution")
    assert sorted(p.name for p in folder.rglob("*")) == ["data.csv", f"{ASSIGNMENT}.ipynb"]
