"""`autograder export`: the file written, one stderr line per unmatched student, a summary, and
one-line errors."""

import csv

import pytest
from gradebooks import COURSE_ID, make_gradebook

from autograder.cli import main


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder whose nbgrader_config.py points at a tiny gradebook."""
    root = tmp_path_factory.mktemp("course")
    url = make_gradebook(root / "gradebook.db", {"ps1": {"test_a": 2.0}},
                         {("ps1", "ada"): {"test_a": 2.0}, ("ps1", "eve"): {"test_a": 1.0}})
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = {url!r}\n")
    (root / "roster.csv").write_text("student,name,lms_id\nada,Ada L,1001\ncyd,Cyd S,1003\n")
    return root


def test_canvas_export_reports_each_unmatched_student(course, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    code = main(["export", "ps1", "--format", "canvas", "--roster", str(course / "roster.csv"),
                 "--course", str(course), "--out", str(out), "--canvas-id", "ps1=77"])
    err = capsys.readouterr().err.splitlines()
    assert code == 0
    rows = list(csv.reader(out.open()))
    assert rows[0][-1] == "ps1 (77)" and rows[2] == ["Ada L", "1001", "", "", "", "2"]
    assert "not exported: eve has grades but is not in the roster" in err
    assert any(line.startswith("no submission: cyd") for line in err)
    assert err[-1].startswith("canvas: 2 students, 1 assignments") and \
        "1 not in the roster, 1 without a submission" in err[-1]


def test_plain_csv_goes_to_stdout(course, capsys):
    assert main(["export", "ps1", "--course", str(course)]) == 0
    assert capsys.readouterr().out.splitlines() == ["student,name,ps1", "ada,,2", "eve,,1"]


@pytest.mark.parametrize("args, message", [
    (["--format", "moodle"], "needs a roster"),
    (["--canvas-id", "ps1"], "--canvas-id takes NAME=ID"),
    (["--roster", "/nonexistent.csv"], "cannot read the roster"),
])
def test_bad_input_is_one_line(course, capsys, args, message):
    assert main(["export", "ps1", "--course", str(course), *args]) == 2
    out = capsys.readouterr().out.strip()
    assert out.startswith("autograder: error:") and message in out and "\n" not in out
