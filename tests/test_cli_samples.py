"""`autograder samples`: writes a lesson's bundled sample class as STUDENT/LESSON.ipynb folders,
or with --zip as the STUDENT_NUMBER_LESSON.ipynb entries of an LMS download, and prints where;
a lesson without a sample class is a one-line error naming the ones there are.

What each sample notebook holds is tests/test_grading_samples.py's business."""

import zipfile

import nbformat
import pytest

from autograder.cli import main
from autograder.grading.samples import load_class, sample_assignments

LESSON = "01-pickle"


@pytest.fixture(scope="module")
def students():
    return sorted(s.student for s in load_class(LESSON))


def test_a_folder_per_student(tmp_path, capsys, students):
    out = tmp_path / "class"
    assert main(["samples", LESSON, "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}\n"
    assert sorted(p.name for p in out.iterdir()) == students
    for student in students:
        nbformat.read(out / student / f"{LESSON}.ipynb", as_version=4)  # a valid notebook


def test_zip_entries_are_what_zip_collect_reads(tmp_path, capsys, students):
    out = tmp_path / "downloads" / "class.zip"  # its folder is created
    assert main(["samples", LESSON, "--out", str(out), "--zip"]) == 0
    assert capsys.readouterr().out == f"{out}\n"
    names = zipfile.ZipFile(out).namelist()
    # numbered from 1001 in the order of class.toml, one entry per student
    assert len(names) == len(students) and names[0].endswith(f"_1001_{LESSON}.ipynb")
    assert sorted(name.rsplit("_", 2)[0] for name in names) == students


def test_a_lesson_without_samples_is_a_one_line_error(tmp_path, capsys):
    assert main(["samples", "99-nowhere", "--out", str(tmp_path / "class")]) == 2
    out = capsys.readouterr().out
    assert out.startswith("autograder: error: no sample class for '99-nowhere': choose one of ")
    assert ", ".join(sample_assignments()) in out and out.count("\n") == 1
    assert not (tmp_path / "class").exists()


def test_out_is_required(capsys):
    assert main(["samples", LESSON]) == 2
    assert "--out" in capsys.readouterr().out
