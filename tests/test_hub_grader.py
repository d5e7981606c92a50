import json
from pathlib import Path

from autograder.hub import grader


def test_one_run_grades_a_batch_with_our_grader_or_each_student_with_stock():
    commands = grader.commands(Path("/env/bin"), Path("/c"), "tiny", ["a", "b"], 2)
    if grader.sandboxed_grader():
        assert commands == [["/env/bin/autograder", "grade", "tiny", "--course", "/c",
                             "--student", "a", "b", "--workers", "2", "--force", "--json"]]
    else:
        assert [c[1:4] + c[5:] for c in commands] == [
            ["autograde", "tiny", "--student", "--force"],
            ["generate_feedback", "tiny", "--student", "--force"]] * 2
    assert grader.describe()


def outcome(student, status, reason=""):
    return {"student": student, "status": status, "score": 1.0, "reason": reason}


def test_verdicts_from_the_json_each_student_on_its_own():
    output = "progress on stderr is not here\n" + json.dumps({"runs": [{"outcomes": [
        outcome("a", "graded"), outcome("b", "timeout", "cell 3 used 60 s of CPU")]}],
        "errors": [], "exit_code": 1})
    verdicts = grader.verdicts(output, ["a", "b", "c"])
    assert verdicts["a"].graded
    assert not verdicts["b"].graded and "CPU" in verdicts["b"].reason
    assert not verdicts["c"].graded and "did not grade" in verdicts["c"].reason


def test_a_run_that_graded_nothing_gives_its_error_to_everyone():
    output = json.dumps({"error": "autograder: error: no such course", "exit_code": 2})
    verdicts = grader.verdicts(output, ["a", "b"])
    assert all(not v.graded and "no such course" in v.reason for v in verdicts.values())


def test_without_json_the_exit_codes_have_already_said_it():
    assert grader.verdicts("", ["a"])["a"].graded
