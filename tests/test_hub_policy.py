import time
from datetime import UTC, datetime

import pytest

from autograder.hub.policy import Policy, PolicyError, PolicyFile, parse


def test_defaults_grade_everything_and_release_at_once():
    policies = parse("")
    assert policies.of("01-pickle") == Policy(True, None)
    assert policies.of("01-pickle").hold_until(time.time()) is None


def test_per_assignment_off_and_held_feedback():
    policies = parse("""
[default]
grade_on_submit = true
[assignments."07-capstone"]
grade_on_submit = false
[assignments."04-onnx"]
feedback_after = 2030-01-02T09:00:00Z
[assignments."05-safety"]
feedback_after = 2030-01-03
""")
    assert not policies.of("07-capstone").grade_on_submit
    held = datetime(2030, 1, 2, 9, tzinfo=UTC).timestamp()
    assert policies.of("04-onnx") == Policy(True, held)
    assert policies.of("04-onnx").hold_until(held - 1) == held
    assert policies.of("04-onnx").hold_until(held + 1) is None, "the date has come"
    assert policies.of("05-safety").feedback_after == datetime(2030, 1, 3, tzinfo=UTC).timestamp()
    assert policies.of("01-pickle").grade_on_submit


@pytest.mark.parametrize("text, message", [
    ("[assignments.x]\ngrade_on_submit = 'no'", "true or false"),
    ("[assignments.x]\nfeedback_after = 'tomorrow'", "date or date-time"),
    ("[assignments.x]\nhold = true", "unknown key"),
    ("[grading]\n", "unknown section"),
    ("[default", "not valid TOML"),
])
def test_mistakes_are_one_line(text, message):
    with pytest.raises(PolicyError, match=message):
        parse(text)


def test_the_file_is_read_again_when_it_changes_and_a_bad_edit_keeps_the_last(tmp_path):
    path = tmp_path / "autograde.toml"
    watched = PolicyFile(path)
    assert watched.get().of("a").grade_on_submit
    path.write_text("[assignments.a]\ngrade_on_submit = false\n")
    assert not watched.get().of("a").grade_on_submit
    path.write_text("[assignments.a]\ngrade_on_submit = maybe\n")
    assert not watched.get().of("a").grade_on_submit and "not valid TOML" in watched.error
    path.unlink()
    assert watched.get().of("a").grade_on_submit and watched.error is None
