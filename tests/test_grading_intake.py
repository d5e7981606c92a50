"""autograder.grading.intake: folder trees and LMS zips become nbgrader's submitted/ layout."""

import os
import zipfile

import nbformat
import pytest
from grading_course import ASSIGNMENT, make_course, submission, write_class

from autograder.grading.course import GradingCourse
from autograder.grading.intake import IntakeError, import_submissions, valid_student_id


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture
def config(course, tmp_path):
    return GradingCourse.open(course, tmp_path / "out")


def submitted(config, student):
    return str(config.path("submitted_directory", student, ASSIGNMENT))


def test_folder_tree_in_both_layouts(course, config, tmp_path):
    src = write_class(course, tmp_path / "class", {"ada": "answer = 42", "zoë": None,
                                                   "jane doe": None})
    (src / "bob" / ASSIGNMENT).mkdir(parents=True)  # nbgrader's own STUDENT/ASSIGNMENT layout
    nbformat.write(submission(course), src / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (src / "bob" / ASSIGNMENT / "helper.py").write_text("x = 1")
    result = import_submissions(src, ASSIGNMENT, config)
    assert result.students == ("ada", "bob", "jane doe", "zoë")
    assert os.path.isfile(os.path.join(submitted(config, "ada"), f"{ASSIGNMENT}.ipynb"))
    assert os.path.isfile(os.path.join(submitted(config, "bob"), "helper.py"))


def test_odd_entries_are_skipped_with_a_reason(course, config, tmp_path):
    src = write_class(course, tmp_path / "class", {"ada": None})
    (src / ".hidden").mkdir()
    (src / "empty").mkdir()
    (src / "notes.txt").write_text("not a student")
    (src / "ada" / "gradebook.db").symlink_to("/etc/passwd")
    result = import_submissions(src, ASSIGNMENT, config)
    assert result.students == ("ada",)
    reasons = "\n".join(result.skipped)
    assert ".hidden: not a valid student id" in reasons
    assert "empty: no notebook" in reasons
    assert "notes.txt: not a student folder" in reasons
    assert "ada/gradebook.db: a symbolic link, not copied" in reasons
    assert not os.path.lexists(os.path.join(submitted(config, "ada"), "gradebook.db"))


def test_importing_twice_replaces_the_earlier_submission(course, config, tmp_path):
    src = write_class(course, tmp_path / "class", {"ada": None})
    (src / "ada" / "old.txt").write_text("old")
    import_submissions(src, ASSIGNMENT, config)
    (src / "ada" / "old.txt").unlink()
    import_submissions(src, ASSIGNMENT, config)
    assert sorted(os.listdir(submitted(config, "ada"))) == [f"{ASSIGNMENT}.ipynb"]


def test_lms_zip_goes_through_nbgrader_zip_collect(course, config, tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"ada_1001_{ASSIGNMENT}.ipynb", nbformat.writes(submission(course)))
        z.writestr(f"bob_late_1002_77_{ASSIGNMENT}.ipynb", nbformat.writes(submission(course)))
        z.writestr(f"{ASSIGNMENT}.ipynb", nbformat.writes(submission(course)))  # no student
    result = import_submissions(archive, ASSIGNMENT, config)
    assert result.students == ("ada", "bob")
    assert any("does not match the pattern" in line for line in result.skipped)
    for student in ("ada", "bob"):
        assert os.path.isfile(os.path.join(submitted(config, student), f"{ASSIGNMENT}.ipynb"))


def test_a_courses_own_file_name_pattern_is_used(course, tmp_path):
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\nc.FileNameCollectorPlugin.named_regexp = "
                "r'.*/(?P<file_id>[^/]+)--(?P<student_id>[^/]+)\\.ipynb'\n")
    try:
        archive = tmp_path / "download.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr(f"{ASSIGNMENT}--zoë.ipynb", nbformat.writes(submission(course)))
        out = GradingCourse.open(course, tmp_path / "out")
        assert import_submissions(archive, ASSIGNMENT, out).students == ("zoë",)
    finally:
        text = (course / "nbgrader_config.py").read_text()
        (course / "nbgrader_config.py").write_text(text.split("\nc.FileNameCollector")[0])


@pytest.mark.parametrize("student, valid", [("ada", True), ("zoë", True), ("jane doe", True),
                                            (".git", False), ("a/b", False), ("", False),
                                            (" ada", False), ("x" * 129, False)])
def test_any_id_nbgrader_keeps_is_a_student_id(student, valid):
    assert valid_student_id(student) == valid


def test_unusable_sources_are_one_line_errors(config, tmp_path):
    with pytest.raises(IntakeError, match="no such folder or zip file"):
        import_submissions(tmp_path / "missing", ASSIGNMENT, config)
    (tmp_path / "class.tar").write_text("x")
    with pytest.raises(IntakeError, match="give a folder of submissions or an LMS .zip"):
        import_submissions(tmp_path / "class.tar", ASSIGNMENT, config)
    (tmp_path / "broken.zip").write_text("not a zip")
    with pytest.raises(IntakeError, match="broken.zip"):
        import_submissions(tmp_path / "broken.zip", ASSIGNMENT, config)
