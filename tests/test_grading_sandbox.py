"""autograder.grading.sandbox: each layer does what it reports, or reports why it could not.

Each check runs in a fresh interpreter: namespaces and mounts must not leak into pytest.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from autograder.grading import sandbox


def run_python(code: str, cwd) -> dict:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_job_namespaces_cut_the_network_but_keep_loopback(tmp_path):
    got = run_python("""
        import json, os, socket
        from autograder.grading import sandbox
        iso = sandbox.enter_job()
        out = {"network": iso.network, "isolated": iso.network_isolated}
        if iso.pid_namespace:
            sandbox.become_init()
            out["pid"] = os.getpid()
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=2).close()
            out["outside"] = "reached"
        except OSError as exc:
            out["outside"] = exc.errno
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            out["loopback"] = s.getsockname()[0]
        print(json.dumps(out))
    """, tmp_path)
    assert got["loopback"] == "127.0.0.1"
    if not got["isolated"]:
        pytest.skip(f"this OS refuses a network namespace: {got['network']}")
    assert got["pid"] == 1
    assert got["outside"] != "reached"  # ENETUNREACH: the namespace has no route out


@pytest.fixture
def disk_path():
    """A folder on the root filesystem: /tmp itself becomes a private tmpfs in the sandbox."""
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path.home()
    folder = Path(tempfile.mkdtemp(prefix="grading-sandbox-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_hide_covers_paths_keeps_the_notebook_folder_and_freezes_the_rest(disk_path):
    tmp_path = disk_path
    secret = tmp_path / "out"
    (secret / "jobs" / "me" / "nb").mkdir(parents=True)
    (secret / "gradebook.db").write_text("grades")
    (secret / "jobs" / "other").mkdir()
    (secret / "jobs" / "other" / "answer.ipynb").write_text("copy me")
    keep = secret / "jobs" / "me" / "nb"
    (keep / "sanitized.ipynb").write_text("hidden tests")
    (keep / "data.csv").write_text("1,2")
    lone = tmp_path / "solution.ipynb"
    lone.write_text("solution")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    got = run_python(f"""
        import json, os
        from pathlib import Path
        from autograder.grading import sandbox
        status = sandbox.hide([Path({str(secret)!r}), Path({str(lone)!r})],
                              keep=Path.cwd(), hide_in_keep=("*.ipynb",))
        out = {{"hidden": status.hidden, "status": status.files}}
        def attempt(action):
            try:
                return action()
            except OSError as exc:
                return exc.errno
        out["gradebook"] = os.path.exists({str(secret / "gradebook.db")!r})
        out["other"] = os.path.exists({str(secret / "jobs" / "other")!r})
        out["solution"] = Path({str(lone)!r}).read_text()
        out["sanitized"] = Path("sanitized.ipynb").read_text()
        out["data"] = Path("data.csv").read_text()
        out["write_here"] = attempt(lambda: Path("artifact.pkl").write_bytes(b"ok") and "ok")
        out["write_elsewhere"] = attempt(
            lambda: Path({str(elsewhere / "planted.py")!r}).write_text("x") and "ok")
        out["tmp_private"] = attempt(lambda: Path("/tmp/grading-scratch").write_text("x") and "ok")
        print(json.dumps(out))
    """, keep)
    if not got["hidden"]:
        pytest.skip(f"this OS refuses a mount namespace: {got['status']}")
    assert got["gradebook"] is False and got["other"] is False
    assert got["solution"] == "" and got["sanitized"] == ""
    assert got["data"] == "1,2"
    assert got["write_here"] == "ok"
    assert got["write_elsewhere"] == 30  # EROFS
    assert got["tmp_private"] == "ok"
    # outside the namespace nothing moved, and the notebook folder got the artifact
    assert (secret / "gradebook.db").read_text() == "grades"
    assert (keep / "artifact.pkl").read_bytes() == b"ok"
    assert not (elsewhere / "planted.py").exists()
    assert not Path("/tmp/grading-scratch").exists()


def test_without_capabilities_a_process_cannot_reach_another_one_through_proc(tmp_path):
    got = run_python("""
        import json, os, subprocess, sys
        from autograder.grading import sandbox
        dropped = sandbox.drop_privileges()
        probe = "import os,sys\\ntry:\\n    os.listdir(f'/proc/{os.getppid()}/root')\\n" \\
                "    print('reached')\\nexcept OSError as e:\\n    print(e.errno)"
        # the exec'd child has no capabilities; its parent (this process) is privileged
        child = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        print(json.dumps({"dropped": dropped, "child": child.stdout.strip(),
                          "uid": os.getuid()}))
    """, tmp_path)
    if got["uid"] != 0:
        pytest.skip("only root has capabilities to drop")
    assert got["child"] == "13"  # EACCES: ptrace access to a more privileged process denied


def test_dropping_privileges_now_empties_this_processs_own_sets_too(tmp_path):
    got = run_python("""
        import json, os
        from autograder.grading import sandbox
        def caps():
            status = open("/proc/self/status").read().splitlines()
            return {k: v.strip() for k, v in (line.split(":", 1) for line in status)
                    if k.startswith("Cap")}
        before = caps()
        said = sandbox.drop_privileges(now=True)
        try:
            os.listdir(f"/proc/{os.getppid()}/root")
            reach = "reached"
        except OSError as exc:
            reach = exc.errno
        print(json.dumps({"before": before, "after": caps(), "said": said, "reach": reach,
                          "uid": os.getuid()}))
    """, tmp_path)
    if got["uid"] != 0:
        pytest.skip("only root has capabilities to drop")
    assert int(got["before"]["CapEff"], 16) != 0
    empty = "0" * 16
    assert [got["after"][k] for k in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb")] == \
        [empty] * 5
    assert "refused" not in got["said"]
    assert got["reach"] == 13  # EACCES: without an exec in between, too


def test_isolation_full_needs_every_layer():
    assert not sandbox.Isolation().full
    assert sandbox.Isolation(network_isolated=True, pid_namespace=True, files_hidden=True).full
    assert not sandbox.Isolation(network_isolated=True, pid_namespace=True).full
