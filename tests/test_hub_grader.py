import argparse
import json
from pathlib import Path

from autograder.cli import grade
from autograder.hub import grader


def test_a_batch_is_one_run_of_our_grader_and_its_options_exist():
    command = grader.command(Path("/env/bin"), Path("/c"), "tiny", ["a", "b"], 2)
    assert command == ["/env/bin/autograder", "grade", "tiny", "--course", "/c",
                       "--student", "a", "b", "--workers", "2", "--force", "--json"]
    measure = grader.measure_command(Path("/env/bin"), Path("/c"), "tiny")
    assert measure[-2:] == ["--measure", "--json"]
    parser = argparse.ArgumentParser()
    grade.add_arguments(parser)
    for args in (command[2:], measure[2:]):
        parsed = parser.parse_args(args)
        assert parsed.json and parsed.course == Path("/c")
    assert parser.parse_args(command[2:]).student == ["a", "b"]


def outcome(student, status, reason=""):
    return {"student": student, "status": status, "score": 1.0, "reason": reason}


def test_verdicts_from_the_json_each_student_on_its_own():
    output = "progress on stderr is not here\n" + json.dumps({"runs": [{"outcomes": [
        outcome("a", "graded"), outcome("b", "timeout", "cell 3 used 60 s of CPU")]}],
        "errors": [], "exit_code": 1})
    verdicts = grader.verdicts(grader.last_json(output), ["a", "b", "c"])
    assert verdicts["a"].graded
    assert not verdicts["b"].graded and "CPU" in verdicts["b"].reason
    assert not verdicts["c"].graded and "did not grade" in verdicts["c"].reason


def test_a_run_that_graded_nothing_gives_its_error_to_everyone():
    output = json.dumps({"runs": [], "errors": ["tiny: no such course"], "exit_code": 2})
    verdicts = grader.verdicts(grader.last_json(output), ["a", "b"])
    assert all(not v.graded and "no such course" in v.reason for v in verdicts.values())


def test_a_command_that_failed_unforeseen_gives_its_error_to_everyone():
    verdicts = grader.verdicts(grader.last_json(json.dumps(
        {"error": "OSError: [Errno 28] No space left on device", "exit_code": 2})), ["a"])
    assert not verdicts["a"].graded and verdicts["a"].reason.endswith("No space left on device")


def test_no_json_is_none_not_a_guess():
    assert grader.last_json("Traceback (most recent call last):\n  ...") is None
    assert grader.last_json('{"cut short') is None
