"""`autograder cluster` (make cluster / cluster-stop) and `autograder grade --dask` errors."""

import json

import psutil

from autograder.cli import main
from autograder.services import alive, free_port


def test_start_status_and_stop_a_loopback_cluster(tmp_path, capsys):
    state = tmp_path / "cluster.json"
    assert main(["cluster", "start", "--workers", "1", "--state", str(state)]) == 0
    started = capsys.readouterr().out
    data = json.loads(state.read_text())
    try:
        assert state.stat().st_mode & 0o077 == 0  # it holds the database's password
        assert f"--dask {data['dask']['address']} --db '{data['db']}'" in started
        assert data["db"].startswith("postgresql://autograder:")
        assert main(["cluster", "start", "--state", str(state)]) == 2  # one at a time
        assert "already running" in capsys.readouterr().out
        assert main(["cluster", "status", "--state", str(state)]) == 0
        assert "NOT RUNNING" not in capsys.readouterr().out
        pids = [data["postgres"]["pid"], data["dask"]["scheduler_pid"],
                *data["dask"]["worker_pids"]]
        processes = [psutil.Process(pid) for pid in pids]
        processes += [c for p in processes for c in p.children(recursive=True)]
    finally:
        assert main(["cluster", "stop", "--state", str(state)]) == 0
    assert "Stopped" in capsys.readouterr().out and not state.exists()
    assert not [p.pid for p in processes if alive(p.pid)]
    assert main(["cluster", "stop", "--state", str(state)]) == 0  # nothing left: no error


def test_grade_with_a_scheduler_that_does_not_answer_writes_nothing(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{free_port()}"
    assert main(["grade", "01-pickle", "--submissions", str(tmp_path), "--out",
                 str(tmp_path / "out"), "--dask", address]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: cannot reach the Dask scheduler at {address}: "
        "ConnectionRefusedError: [Errno 111] Connection refused"]
    assert not (tmp_path / "out").exists()
