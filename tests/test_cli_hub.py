"""`autograder hub start|status|stop`: the command around autograder.hub.control. `start`
prints the URL and each account's password, or one `error:` line (exit 2) for a roster it
cannot use; `status` exits 1 when no hub runs; `stop` says what it did, and that nothing ran.

Starting a real hub needs root and takes a minute: the class hub of tests/conftest.py
(`class_hub`, used by tests/test_hub_*.py) starts and stops one through autograder.hub.control,
and `make bench` (bench/hub.py) measures grading on submit on it. Here: the arguments, the error
paths that stop before anything is created, and what the command prints."""

import pytest

from autograder.cli import main
from autograder.cli.hub import print_started
from autograder.hub import control
from autograder.hub.journal import Journal
from autograder.hub.settings import HubSettings


def settings(hub_dir) -> HubSettings:
    return HubSettings(hub_dir=str(hub_dir), course_id="ml-101", instructor="teacher",
                       students=("ada", "bartholomew"), port=8123)


def test_an_unknown_action_is_a_usage_error(capsys):
    assert main(["hub", "restart"]) == 2
    out = capsys.readouterr().out
    assert "invalid choice: 'restart'" in out and out.count("\n") == 1


@pytest.mark.parametrize("roster, message", [
    (None, "no such roster file"),
    ('instructor = "teacher"\nstudents = ["Ada"]\n', "'Ada' is not a Unix user name"),
    ("students = [", "not valid TOML"),
])
def test_start_with_a_roster_it_cannot_use_is_one_line_and_creates_nothing(tmp_path, capsys,
                                                                           roster, message):
    path = tmp_path / "roster.toml"
    if roster is not None:
        path.write_text(roster)
    assert main(["hub", "start", "--roster", str(path), "--dir", str(tmp_path / "hub")]) == 2
    out = capsys.readouterr().out
    assert out.startswith(f"error: {path}") and message in out and out.count("\n") == 1
    assert not (tmp_path / "hub").exists()


def test_status_and_stop_when_no_hub_runs(tmp_path, capsys):
    assert main(["hub", "status", "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out == "the hub is not running\n"
    assert main(["hub", "stop", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "no hub was running\n"
    assert tmp_path.exists()  # without --purge the folder stays


def test_stop_purge_removes_the_hub_folder(tmp_path, capsys):
    hub_dir = tmp_path / "hub"
    (hub_dir / "logs").mkdir(parents=True)
    assert main(["hub", "stop", "--purge", "--dir", str(hub_dir)]) == 0
    assert capsys.readouterr().out == f"removed {hub_dir}\n"
    assert not hub_dir.exists()


def test_status_of_a_running_hub_summarises_the_grading_journal(tmp_path, monkeypatch, capsys):
    hub = settings(tmp_path)
    hub.save()
    hub.service_dir.mkdir()
    journal = Journal(hub.service_dir / Journal.FILE)
    journal.add("ada+ps1+t0+r", "ada", "ps1", "t0", 1000.0)
    journal.close()
    monkeypatch.setattr(control, "hub_pid", lambda hub_dir: 4242)  # a running hub is root's
    assert main(["hub", "status", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "the hub is running (pid 4242) at http://127.0.0.1:8123/", "  seen: 1"]


def test_start_prints_the_url_and_each_account(tmp_path, capsys):
    started = control.Started(settings(tmp_path), {"teacher": "pw-t", "ada": "pw-a",
                                                   "bartholomew": "pw-b"},
                              created=("ada",), pid=4242)
    print_started(started)
    lines = capsys.readouterr().out.splitlines()
    assert "JupyterHub started for course 'ml-101': http://127.0.0.1:8123/" in lines
    # one aligned row per account: the instructor's role is named
    assert "  teacher      instructor  pw-t" in lines
    assert "  bartholomew  student     pw-b" in lines
    assert lines[-1] == "  created Unix accounts: ada"
    print_started(control.Started(settings(tmp_path), {"teacher": "pw-t"}, (), 4242, True))
    out = capsys.readouterr().out
    assert "JupyterHub already running" in out and "created Unix accounts" not in out
