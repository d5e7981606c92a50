"""`autograder` (also `python -m autograder`) as a whole: every command is listed by `--help`,
and a command line that cannot be carried out, or a command that fails unforeseen, is one line
on stdout (with --json, one JSON object) and exit code 2, never a traceback.

Each command has its own file, tests/test_cli_<command>.py.
"""

from __future__ import annotations

import json

from commandline import command

from autograder import cli


def test_usage_errors_are_one_line(tmp_path):
    for args in (["verify"], ["verify", "x.pkl"], ["inspect"], ["frobnicate", "x"],
                 ["verify", "x.onnx", "--expected", "y.npy", "--rtol", "abc"]):
        done = command(*args)
        assert done.returncode == 2 and done.stderr == ""
        assert done.stdout.count("\n") == 1 and done.stdout.startswith("autograder: error:")
        assert "Traceback" not in done.stdout


def test_help_lists_every_command():
    done = command("--help")
    assert done.returncode == 0
    for name in cli.COMMANDS:
        assert f"    {name} " in done.stdout, name


def test_an_unexpected_exception_is_one_line_too(monkeypatch, capsys):
    """What a command did not foresee still ends in one line and exit 2, never a traceback."""
    def run(args):
        raise RuntimeError("disk full\nand a second line")

    monkeypatch.setattr("autograder.cli.progress.run", run)
    assert cli.main(["progress"]) == 2
    assert capsys.readouterr().out == "autograder: error: RuntimeError: disk full\n"
    assert cli.main(["progress", "--json"]) == 2
    assert json.loads(capsys.readouterr().out) == {
        "error": "RuntimeError: disk full", "exit_code": 2}


def test_with_json_a_usage_error_is_one_object(capsys):
    assert cli.main(["inspect", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 2 and "the following arguments are required: path" in data["error"]
