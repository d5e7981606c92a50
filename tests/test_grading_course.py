"""autograder.grading.course: a course's settings read as nbgrader reads them, where results
go, which students stock autograde would grade, and the assignment's definition."""

import nbformat
import pytest
from grading_course import ASSIGNMENT, make_course, source_notebook
from nbformat.v4 import new_markdown_cell, new_notebook

from autograder.grading.course import (
    GradingCourse,
    define_assignment,
    feedback_preprocessors,
    nbgrader_config,
    submitted_students,
)
from autograder.grading.gradebook import has_assignment


def names(steps):
    return [s if isinstance(s, str) else f"{s.__module__}.{s.__qualname__}" for s in steps]


def test_a_course_without_a_config_file_has_nbgraders_defaults(tmp_path):
    config = nbgrader_config(tmp_path)
    assert config.CourseDirectory.root == str(tmp_path)
    assert "source_directory" not in config.CourseDirectory
    course = GradingCourse.open(tmp_path)
    assert course.folder("source_directory") == tmp_path / "source"
    assert course.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_the_courses_settings_are_read(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'c1'\nc.Execute.timeout = 7\n")
    config = nbgrader_config(tmp_path)
    assert (config.CourseDirectory.course_id, config.Execute.timeout) == ("c1", 7)


def test_feedback_keeps_the_courses_steps_or_nbgraders_defaults_and_clears_hidden_tests():
    from traitlets.config import Config

    default = names(feedback_preprocessors(Config()))
    assert default == ["autograder.grading.redact.RedactHiddenTests",
                       "nbgrader.preprocessors.ClearHiddenTests",
                       "nbgrader.preprocessors.getgrades.GetGrades",
                       "nbconvert.preprocessors.csshtmlheader.CSSHTMLHeaderPreprocessor",
                       "autograder.grading.feedback.MistakeFeedback"]
    own = Config()
    own.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                          "nbgrader.preprocessors.ClearHiddenTests"]
    assert names(feedback_preprocessors(own)) == [
        "nbgrader.preprocessors.GetGrades", "autograder.grading.redact.RedactHiddenTests",
        "nbgrader.preprocessors.ClearHiddenTests", "autograder.grading.feedback.MistakeFeedback"]


def test_grading_into_another_folder_keeps_the_course_as_nbgraders_root(tmp_path):
    course = GradingCourse.open(tmp_path / "course", tmp_path / "graded")
    settings = course.config.CourseDirectory
    assert settings.root == str(tmp_path / "course")  # course-relative paths keep meaning
    assert course.path("submitted_directory", "ada", "ps1") == \
        tmp_path / "graded" / "submitted" / "ada" / "ps1"
    assert course.folder("source_directory") == tmp_path / "course" / "source"
    assert course.db_url == f"sqlite:///{tmp_path / 'graded' / 'gradebook.db'}"


def test_the_students_stock_autograde_would_grade(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.student_id_exclude = 'left-out,other'\n")
    for student in ("ada", "zoë", "jane doe", "left-out", "empty", ".hidden"):
        folder = tmp_path / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        if student != "empty":
            nbformat.write(new_notebook(), folder / "p1.ipynb")
    course = GradingCourse.open(tmp_path)
    assert submitted_students(course, "ps1") == ["ada", "jane doe", "zoë"]
    assert submitted_students(course, "ps1", ("zoë", "nobody")) == ["zoë"]


@pytest.fixture
def header_course(tmp_path):
    """A course whose header notebook is given relative to the course folder."""
    root = make_course(tmp_path / "course")
    (root / "source").mkdir()
    nbformat.write(new_notebook(cells=[new_markdown_cell("Read me first.")]),
                   root / "source" / "header.ipynb")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write('\nc.IncludeHeaderFooter.header = "source/header.ipynb"\n')
    return root


def test_an_assignment_is_defined_with_course_relative_paths_from_anywhere(
        header_course, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the course folder
    course = GradingCourse.open(header_course, tmp_path / "graded")
    define_assignment(course, ASSIGNMENT, tmp_path / "release")
    assert has_assignment(course.db_url, course.course_id, ASSIGNMENT)
    released = nbformat.read(tmp_path / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    assert released.cells[0].source == "Read me first."
    assert len(released.cells) == len(source_notebook().cells) + 1


def test_when_nbgrader_fails_the_error_is_its_real_cause(header_course, tmp_path):
    (header_course / "source" / "header.ipynb").unlink()
    course = GradingCourse.open(header_course, tmp_path / "graded")
    with pytest.raises(RuntimeError) as error:
        define_assignment(course, ASSIGNMENT, tmp_path / "release")
    assert "FileNotFoundError" in str(error.value) and "source/header.ipynb" in str(error.value)
    assert "traceback" not in str(error.value)
