"""autograder.artifacts.forkserver: a check forked from a process that has imported
scikit-learn (or torch) gives what a fresh child gives, behind the same walls (the wall tests of
tests/test_artifacts_sandbox.py run both ways), and the server never outlives its use."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import threading
import time

import numpy as np
import psutil
import pytest
from sklearn.linear_model import LogisticRegression

from autograder.artifacts import forkserver
from autograder.artifacts.analysis import analyze
from autograder.artifacts.handoff import save_inputs
from autograder.artifacts.reload import reload
from autograder.artifacts.sandbox import SandboxLimits, available_layers, run

pytestmark = pytest.mark.skipif(not forkserver.enabled(), reason="the fork server is Linux-only")
SKLEARN = "scikit-learn"


def command(code: str) -> list[str]:
    return [sys.executable, "-I", "-B", "-c", code]


@pytest.fixture
def model_file(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    save_inputs(X, tmp_path / "inputs")
    return path, model, X


def test_a_warm_check_gives_what_a_fresh_one_gives(model_file, monkeypatch):
    path, model, X = model_file
    warm = [reload(analyze(path), path.parent / "inputs") for _ in range(2)]
    server = forkserver._servers[SKLEARN].process.pid
    monkeypatch.setenv("AUTOGRADER_FORKSERVER", "0")
    fresh = reload(analyze(path), path.parent / "inputs")
    for got in [*warm, fresh]:
        assert got.ok, got.error
        np.testing.assert_array_equal(got.outputs[0], model.predict(X))
        assert got.layers == available_layers()
    assert forkserver._servers[SKLEARN].process.pid == server  # both warm checks used one server


def test_torch_files_get_a_server_of_their_own(tmp_path, monkeypatch):
    """A torch file's warm check gives what a fresh one gives, from the torch family's server;
    a scikit-learn check afterwards runs without torch in its address space, as fresh."""
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    folder = tmp_path / "torch"
    folder.mkdir()
    path = folder / "weights.safetensors"
    save_file(model.state_dict(), path)
    report = analyze(path)
    warm = reload(report, folder / "inputs", method="value")
    assert warm.ok, warm.error
    assert forkserver.family(("torch", "safetensors.torch")) == "torch"
    assert "torch" in forkserver._servers
    monkeypatch.setenv("AUTOGRADER_FORKSERVER", "0")
    fresh = reload(report, folder / "inputs", method="value")
    for a, b in zip(warm.outputs, fresh.outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    monkeypatch.delenv("AUTOGRADER_FORKSERVER")
    after = run(command("import sys; print('torch' in sys.modules)"), tmp_path,
                SandboxLimits(), warm=())
    assert after.returncode == 0 and (tmp_path / "stdout.txt").read_text() == "False\n"


def test_only_python_isolated_commands_run_warm(tmp_path):
    assert forkserver.run([sys.executable, "-c", "pass"], tmp_path, SandboxLimits()) is None
    assert forkserver.run(["/bin/true"], tmp_path, SandboxLimits()) is None


def test_turned_off_it_starts_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_FORKSERVER", "0")
    forkserver._discard()
    assert forkserver.run(command("pass"), tmp_path, SandboxLimits()) is None
    assert SKLEARN not in forkserver._servers


def test_a_timeout_kills_the_fork_and_the_server_goes_on(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    slow = run(command("import time; time.sleep(60)"), tmp_path / "a",
               SandboxLimits(wall_seconds=1), warm=())
    server = forkserver._servers[SKLEARN].process.pid
    quick = run(command("print('next')"), tmp_path / "b", SandboxLimits(), warm=())
    assert slow.timed_out and slow.returncode is None
    assert quick.returncode == 0 and (tmp_path / "b" / "stdout.txt").read_text() == "next\n"
    assert forkserver._servers[SKLEARN].process.pid == server


def test_a_dead_server_is_replaced(tmp_path):
    run(command("pass"), tmp_path, SandboxLimits(), warm=())
    old = forkserver._servers[SKLEARN].process
    old.kill()
    old.wait()
    again = run(command("print('again')"), tmp_path, SandboxLimits(), warm=())
    assert again.returncode == 0 and forkserver._servers[SKLEARN].process.pid != old.pid


def test_the_server_imports_what_a_format_needs_before_it_forks(tmp_path):
    seen = []
    for preload in ((), ("wave",)):
        ran = run(command("import sys; print('wave' in sys.modules)"), tmp_path,
                  SandboxLimits(), warm=preload)
        assert ran.returncode == 0
        seen.append((tmp_path / "stdout.txt").read_text())
    assert seen == ["False\n", "True\n"]


def test_a_fork_that_cannot_build_its_walls_runs_nothing(tmp_path):
    """The server itself refuses to run code whose walls failed (here: limits it cannot
    read); `run` then answers None and the caller starts a fresh child."""
    run(command("pass"), tmp_path, SandboxLimits(), warm=())
    channel = forkserver._servers[SKLEARN].channel
    channel.send({"code": "open('ran', 'w')", "args": [], "workdir": str(tmp_path),
                  "layers": list(available_layers()), "limits": {"bogus": 1}, "nproc": 0})
    assert channel.receive(30)["walls"] is False
    assert channel.receive(30)["returncode"] != 0
    assert not (tmp_path / "ran").exists()


def test_sys_exit_and_exceptions_give_python_s_exit_codes(tmp_path):
    codes = {"import sys; sys.exit(3)": 3, "raise ValueError('x')": 1, "pass": 0}
    for i, (code, expected) in enumerate(codes.items()):
        folder = tmp_path / str(i)
        folder.mkdir()
        assert run(command(code), folder, SandboxLimits(), warm=()).returncode == expected
    assert "ValueError: x" in (tmp_path / "1" / "stderr.txt").read_text()


def test_the_server_ends_with_its_parent(tmp_path):
    code = f"""
import sys
from pathlib import Path
from autograder.artifacts import forkserver
from autograder.artifacts.sandbox import SandboxLimits, run
run({command("pass")!r}, Path({str(tmp_path)!r}), SandboxLimits(), warm=())
print(forkserver._servers[{SKLEARN!r}].process.pid)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    server = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while psutil.pid_exists(server) and psutil.Process(server).status() != "zombie" and \
            time.monotonic() < deadline:
        time.sleep(0.1)  # the server notices the closed pipe on its own
    assert not psutil.pid_exists(server) or psutil.Process(server).status() == "zombie"



def test_an_interrupted_check_leaves_no_server_out_of_step(tmp_path):
    """A student interrupts the kernel during a check: the next check still gets its own
    answers (the server is replaced)."""
    def interrupt():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(command("import time; time.sleep(30)"), tmp_path, SandboxLimits(),
            while_waiting=interrupt, warm=())
    assert SKLEARN not in forkserver._servers
    after = run(command("print('after')"), tmp_path, SandboxLimits(), warm=())
    assert after.returncode == 0 and (tmp_path / "stdout.txt").read_text() == "after\n"


def test_a_check_from_another_thread_meanwhile_runs_fresh(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    seen = []

    def other_thread():
        seen.append(forkserver.run(command("pass"), tmp_path / "b", SandboxLimits()))

    def meanwhile():  # while the first check holds the server
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(30)

    first = run(command("pass"), tmp_path / "a", SandboxLimits(), warm=(),
                while_waiting=meanwhile)
    assert first.returncode == 0 and seen == [None]


PRESTART = """
import json, sys
from pathlib import Path
from autograder.artifacts import forkserver
from autograder.artifacts.sandbox import SandboxLimits, run

probe = {probe!r}
seen = {{}}
forkserver.prestart()  # numpy alone: no family has all its modules here
seen["without scikit-learn"] = sorted(forkserver._servers)
import joblib, sklearn.base
forkserver.warm_up()
forkserver.prestart()
seen["with scikit-learn"] = sorted(forkserver._servers)
server = forkserver._servers["scikit-learn"].process
seen["forked"] = type(server).__name__
for kind in ("prestarted", "fresh"):
    folder = Path({folder!r}) / kind
    folder.mkdir()
    ran = run([sys.executable, "-I", "-B", "-c", probe], folder, SandboxLimits(), warm=())
    seen[kind] = (ran.returncode, (folder / "stdout.txt").read_text().replace(str(folder), "F"))
    if kind == "prestarted":
        seen["same server"] = forkserver._servers["scikit-learn"].process.pid == server.pid
        forkserver._discard()  # the next check starts a fresh interpreter
forkserver._discard()
import torch
forkserver.prestart()
seen["with torch"] = sorted(forkserver._servers)
print(json.dumps(seen))
"""
# What a check sees of its process, which must not tell a pre-started server from a fresh one
# (its own session; the folder, environment and `sys.path` of `python -I -B`; the same open
# files; an empty __main__; no bytecode written).
LOOK = """import json, os, sys
main = sys.modules["__main__"]
print(json.dumps({"path": sys.path, "cwd": os.getcwd(), "env": dict(os.environ),
                  "fds": sorted(os.listdir("/proc/self/fd")), "argv": sys.argv,
                  "main": {k: repr(v) for k, v in vars(main).items() if k != "__builtins__"},
                  "bytecode": sys.dont_write_bytecode, "session": os.getsid(0) == os.getpid(),
                  "sklearn": "sklearn.base" in sys.modules}))"""


def test_a_prestarted_server_is_forked_only_where_its_modules_are_and_passes_for_fresh(tmp_path):
    """In a process that imported scikit-learn (a pre-forked kernel, before any student code),
    the server is forked from it, and a check there sees what it sees in a fresh server's fork;
    with torch loaded, only torch's server is forked (scikit-learn files keep a fresh one's
    room). In a child process: pytest's own process has threads, which a fork does not copy."""
    code = PRESTART.format(probe=LOOK, folder=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", "import numpy\n" + code], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["without scikit-learn"] == [] and seen["with scikit-learn"] == [SKLEARN]
    assert seen["forked"] == "ForkedChild" and seen["same server"]
    assert seen["prestarted"][0] == 0, seen["prestarted"]
    assert seen["prestarted"] == seen["fresh"]
    looked = json.loads(seen["fresh"][1])
    assert looked["session"] and looked["sklearn"]
    assert seen["with torch"] == ["torch"]
