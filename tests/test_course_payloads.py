"""autograder.course.payloads: the payload box sees every write, crafted pickles run what they
say, and the scanners' command lines are read back as exit code and one line."""

import os
import pickle

import pytest

from autograder.course import payloads


class Writes:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.fixture
def box(tmp_path):
    return payloads.Box(tmp_path / "box", root=tmp_path)


def test_run_reports_what_a_payload_wrote_and_nothing_else_changed(box, tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"x")
    run = box.run(lambda: pickle.loads(pickle.dumps(Writes(box.command("demo")))))
    assert run.in_box == ("demo.txt",) and run.changed_outside == ()
    assert run.outcome == "returned an int"
    assert (box.folder / "demo.txt").read_text().startswith("written by a payload")


def test_run_sees_changes_outside_the_box_and_refusals(box, tmp_path):
    def touch_outside():
        (tmp_path / "outside.txt").write_text("changed")
        return "done"

    run = box.run(touch_outside)
    assert run.changed_outside == ("outside.txt",) and run.outcome == "returned a str"

    def refuse():
        raise pickle.UnpicklingError("global 'posix.system' is not on the allowlist")

    refused = box.run(refuse)
    assert refused.value is None and refused.in_box == ()
    assert refused.outcome == "UnpicklingError: global 'posix.system' is not on the allowlist"


def test_craft_call_is_a_pickle_that_calls_its_global(box):
    program = payloads.craft_call("posix", "system", box.command("crafted"))
    run = box.run(lambda: pickle.loads(program))
    assert run.in_box == ("crafted.txt",)
    listing = payloads.annotated_dis(program)
    assert "STACK_GLOBAL" in listing and "◀ import" in listing and "◀ call" in listing


def test_the_scanners_tell_an_honest_pickle_from_a_payload(tmp_path, box):
    honest, trojan = tmp_path / "honest.pkl", tmp_path / "trojan.pkl"
    honest.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    trojan.write_bytes(pickle.dumps(Writes(box.command("scan"))))
    assert payloads.picklescan(honest)[0] == 0
    code, line = payloads.picklescan(trojan)
    assert code == 1 and "system" in line and str(tmp_path) not in line
    assert payloads.inspect(honest)[:2] == (0, "safe")
    code, verdict, reason = payloads.inspect(trojan)
    assert (code, verdict) == (1, "unsafe") and "system" in reason
    assert not (box.folder / "scan.txt").exists()  # scanning ran nothing
