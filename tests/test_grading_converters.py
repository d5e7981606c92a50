"""autograder.grading.converters: nbgrader's converters, failing with their real cause."""

import nbformat
from grading_course import ASSIGNMENT, make_course
from nbgrader.converters import GenerateAssignment

from autograder.grading.converters import run_converter
from autograder.grading.course import GradingCourse
from autograder.grading.gradebook import new_gradebook


def test_a_failure_is_the_underlying_exception_not_nbgraders_last_line(tmp_path):
    course = GradingCourse.open(make_course(tmp_path / "course"), tmp_path / "graded")
    config = course.config
    config.CourseDirectory.release_directory = str(tmp_path / "release")
    new_gradebook(course.db_file)
    ok = run_converter(GenerateAssignment, config, ASSIGNMENT, force=True)
    assert ok.success and ok.error == ""
    source = course.path("source_directory", ".", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[1].source = "### BEGIN SOLUTION\nanswer = 42"  # no END SOLUTION
    nbformat.write(nb, source)
    broken = run_converter(GenerateAssignment, config, ASSIGNMENT, force=True)
    assert not broken.success
    assert broken.error == "RuntimeError: no end solution statement found"
    assert "Please see" in broken.log  # what nbgrader itself ends with


def test_a_failure_after_the_notebooks_converted_is_named_too(tmp_path):
    # nbgrader chmods every file it wrote (set_permissions): a dangling symlink a notebook left
    # in its folder fails there, after conversion, and must not read "Please see ...".
    class Dangling(GenerateAssignment):
        def set_permissions(self, assignment_id, student_id):
            raise FileNotFoundError("[Errno 2] No such file or directory: 'models/current'")

    course = GradingCourse.open(make_course(tmp_path / "course"), tmp_path / "graded")
    config = course.config
    config.CourseDirectory.release_directory = str(tmp_path / "release")
    new_gradebook(course.db_file)
    failed = run_converter(Dangling, config, ASSIGNMENT, force=True)
    assert not failed.success and failed.failure == "FileNotFoundError"
    assert failed.error.startswith("FileNotFoundError: [Errno 2] No such file or directory")
