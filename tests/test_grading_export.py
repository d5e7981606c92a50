"""autograder.grading.export: Canvas's and Moodle's import headers, grades from the gradebook
(manual grades and late penalties included), and every unmatched student reported."""

import csv
import io

import pytest
from gradebooks import COURSE_ID, make_gradebook

from autograder.grading import export
from autograder.grading.export import ExportError, LmsFormat

ROSTER = """student,name,lms_id,sis_user_id,sis_login_id,section,email,username
ada,Ada Lovelace,1001,S1001,ada@uni.example,Section A,ada@uni.example,ada
bob,Bob Jones,1002,S1002,bob@uni.example,Section B,bob@uni.example,bob
cyd,Cyd Smith,1003,S1003,cyd@uni.example,Section A,cyd@uni.example,cyd
"""


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    """ps1 (3 points) and ps2 (2 points): ada and bob submitted ps1, ada and eve ps2; bob's
    essay got a manual grade, eve is not in the roster, cyd submitted nothing."""
    url = make_gradebook(
        tmp_path_factory.mktemp("gb") / "gradebook.db",
        {"ps1": {"test_a": 2.0, "essay": 1.0}, "ps2": {"test_b": 2.0}},
        {("ps1", "ada"): {"test_a": 2.0, "essay": 1.0}, ("ps1", "bob"): {"test_a": 0.0},
         ("ps2", "ada"): {"test_b": 2.0}, ("ps2", "eve"): {"test_b": 1.0}},
        manual={("ps1", "bob", "essay"): 0.5}, penalties={("ps2", "ada"): 0.5})
    return export.read_grades(url, COURSE_ID, ["ps1", "ps2"], {"ps1": "4242"})


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return export.read_roster(path)


def table(text):
    return list(csv.reader(io.StringIO(text)))


def test_grades_include_manual_grades_and_late_penalties(grades):
    assert [(a.name, a.max_score) for a in grades.assignments] == [("ps1", 3.0), ("ps2", 2.0)]
    assert grades.scores == {"ada": {"ps1": 3.0, "ps2": 1.5}, "bob": {"ps1": 0.5},
                             "eve": {"ps2": 1.0}}


def test_canvas_has_its_documented_columns_a_points_row_and_reports_who_is_unmatched(
        grades, roster):
    done = export.export(grades, roster, LmsFormat.CANVAS)
    rows = table(done.text)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "ps1 (4242)", "ps2"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3", "2"]
    assert rows[2:] == [
        ["Ada Lovelace", "1001", "S1001", "ada@uni.example", "Section A", "3", "1.5"],
        ["Bob Jones", "1002", "S1002", "bob@uni.example", "Section B", "0.5", ""],
        ["Cyd Smith", "1003", "S1003", "cyd@uni.example", "Section A", "", ""]]
    assert (done.rows, done.unmatched, done.missing) == (3, ("eve",), ("cyd",))


def test_moodle_is_keyed_by_the_chosen_identifier_with_one_column_per_grade_item(
        grades, roster):
    rows = table(export.export(grades, roster, LmsFormat.MOODLE, "username").text)
    assert rows[0] == ["Username", "First name", "Last name", "ps1", "ps2"]
    assert rows[1] == ["ada", "Ada", "Lovelace", "3", "1.5"]
    email = table(export.export(grades, roster, LmsFormat.MOODLE).text)
    assert email[0][0] == "Email address" and email[2][0] == "bob@uni.example"


def test_plain_csv_needs_no_roster_and_lists_every_graded_student(grades):
    done = export.export(grades, None, LmsFormat.CSV)
    assert table(done.text) == [["student", "name", "ps1", "ps2"], ["ada", "", "3", "1.5"],
                                ["bob", "", "0.5", ""], ["eve", "", "", "1"]]
    assert done.unmatched == () and done.missing == ()


@pytest.mark.parametrize("text, message", [
    ("name,email\nAda,a@x\n", "needs a 'student' column"),
    ("student,email\nada,a@x\nada,b@x\n", "student 'ada' is listed twice"),
])
def test_a_bad_roster_is_one_line(tmp_path, text, message):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(ExportError, match=message):
        export.read_roster(path)


def test_an_lms_format_needs_a_roster_that_identifies_every_student(grades, tmp_path):
    with pytest.raises(ExportError, match="needs a roster"):
        export.export(grades, None, LmsFormat.CANVAS)
    path = tmp_path / "roster.csv"
    path.write_text("student,email\nada,ada@uni.example\nbob,\n")
    with pytest.raises(ExportError, match="1 roster entries have no email.*: bob"):
        export.export(grades, export.read_roster(path), LmsFormat.MOODLE)


def test_an_unknown_assignment_names_the_ones_there(tmp_path):
    url = make_gradebook(tmp_path / "gradebook.db", {"ps1": {"t": 1.0}}, {})
    with pytest.raises(ExportError, match="no assignment 'ps9'.*it has ps1"):
        export.read_grades(url, COURSE_ID, ["ps9"])
