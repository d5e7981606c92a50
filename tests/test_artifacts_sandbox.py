"""Tests for autograder.artifacts.sandbox: limits, timeout, environment and network of the child."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from autograder.artifacts import sandbox
from autograder.artifacts.sandbox import GiB, Layer, SandboxLimits, run


@pytest.fixture(params=[None, ()], ids=["fresh", "warm"])
def warm(request) -> tuple[str, ...] | None:
    """Each wall is tested around a fresh child and around a fork of the warm server
    (autograder.artifacts.forkserver), which must build the same ones."""
    return request.param


def python(code: str, tmp_path, limits: SandboxLimits | None = None,
           warm: tuple[str, ...] | None = None):
    """(result, stdout) of running code in the sandbox."""
    result = run([sys.executable, "-I", "-B", "-c", code], tmp_path, limits or SandboxLimits(),
                 warm=warm)
    return result, (tmp_path / "stdout.txt").read_text()


def test_a_normal_run(tmp_path, warm):
    result, out = python("print('hello')", tmp_path, warm=warm)
    assert (result.returncode, result.timed_out, out) == (0, False, "hello\n")
    assert result.seconds > 0 and result.stderr_tail == ""


def test_working_folder_and_scrubbed_environment(tmp_path, monkeypatch, warm):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "do-not-leak")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    result, out = python("import os, json; print(json.dumps({'cwd': os.getcwd(), "
                         "'env': dict(os.environ)}))", tmp_path, warm=warm)
    import json

    seen = json.loads(out)
    assert seen["cwd"] == str(tmp_path)
    assert "GRADER_SECRET_TOKEN" not in seen["env"] and "PYTHONPATH" not in seen["env"]
    assert seen["env"]["HOME"] == seen["env"]["TMPDIR"] == str(tmp_path)
    assert seen["env"]["OMP_NUM_THREADS"] == "1"


def test_limits_are_set(tmp_path, warm):
    limits = SandboxLimits(memory_bytes=3 * GiB, cpu_seconds=7, file_bytes=5_000_000)
    result, out = python("print(open('/proc/self/limits').read())", tmp_path, limits, warm)
    rows = {line[:26].strip(): line[26:].split() for line in out.splitlines()[1:] if line}
    assert rows["Max address space"][0] == str(3 * GiB)
    assert rows["Max cpu time"][0] == "7"
    assert rows["Max file size"][0] == "5000000"
    assert rows["Max core file size"][0] == "0"
    assert int(rows["Max processes"][0]) > 0


def test_memory_limit_stops_a_huge_allocation(tmp_path, warm):
    result, out = python("""
try:
    block = bytearray(8 * 1024**3)
    print('allocated')
except MemoryError:
    print('MemoryError')
""", tmp_path, SandboxLimits(memory_bytes=1 * GiB), warm)
    assert out.strip() == "MemoryError"


def test_cpu_limit_kills_a_busy_loop(tmp_path, warm):
    result, _ = python("while True: pass", tmp_path,
                       SandboxLimits(cpu_seconds=1, wall_seconds=60), warm)
    assert not result.timed_out  # the CPU limit stopped it, not the wall clock
    assert result.returncode is not None and result.returncode < 0  # killed by SIGXCPU


def test_file_size_limit(tmp_path, warm):
    result, out = python("""
try:
    open('big.bin', 'wb').write(bytes(3_000_000))
    print('wrote')
except OSError as exc:
    print(type(exc).__name__, exc.errno)
""", tmp_path, SandboxLimits(file_bytes=1_000_000), warm)
    assert out.startswith("OSError 27")  # EFBIG: File too large


def test_wall_clock_timeout_kills_the_whole_group(tmp_path, warm):
    marker = tmp_path / "grandchild_alive"
    code = (f"import subprocess, time; subprocess.Popen(['sh', '-c', "
            f"'sleep 3; touch {marker}']); time.sleep(60)")
    result, _ = python(code, tmp_path, SandboxLimits(wall_seconds=1), warm)
    assert result.timed_out and result.returncode is None
    time.sleep(3.5)
    assert not marker.exists()  # the grandchild died with its group


def test_while_waiting_overlaps_with_the_child(tmp_path):
    seen = []
    result = run([sys.executable, "-I", "-c", "import time; time.sleep(0.5)"], tmp_path,
                 while_waiting=lambda: seen.append(time.perf_counter()))
    assert result.returncode == 0 and len(seen) == 1


def test_no_network_when_the_os_allows_it(tmp_path, warm):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        result, out = python(f"""
import socket
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3)
    print('connected')
except OSError as exc:
    print('refused', exc.errno)
""", tmp_path, warm=warm)
    finally:
        server.close()
    if not sandbox.network_isolation_available():
        pytest.skip("this machine does not allow network namespaces")
    assert result.network_isolated is True
    assert out.startswith("refused")  # its own empty namespace: the host's port is unreachable


def test_isolation_probe_is_cached():
    first = sandbox.network_isolation_available()
    hits = sandbox.network_isolation_available.cache_info().hits
    assert sandbox.network_isolation_available() is first
    assert sandbox.network_isolation_available.cache_info().hits == hits + 1


def test_each_result_lists_the_layers_the_child_had(tmp_path, warm):
    result, _ = python("pass", tmp_path, warm=warm)
    assert result.layers == sandbox.available_layers()
    assert {Layer.FOLDER, Layer.ENVIRONMENT, Layer.TIMEOUT, Layer.PROCESS_GROUP,
            Layer.LIMITS} <= set(result.layers)  # on Linux
    assert result.network_isolated == (Layer.NETWORK in result.layers)


def test_without_rlimits_the_child_still_runs_without_that_layer(tmp_path, monkeypatch, warm):
    """Where the OS has no `resource` module (Windows), the sandbox leaves the limits out."""
    monkeypatch.setattr(sandbox, "resource", None)
    result, out = python("print('ran')", tmp_path, warm=warm)
    assert out == "ran\n" and Layer.LIMITS not in result.layers


def test_torch_and_onnxruntime_fit_in_the_default_memory_limit(tmp_path):
    """Address space reserved, not used: measured, and well under the 4 GiB default."""
    result, out = python("""
import torch, onnxruntime
torch.nn.Linear(10, 2)(torch.zeros(3, 10))
print([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmPeak')][0])
""", tmp_path)
    assert result.returncode == 0, result.stderr_tail
    peak = int(out.strip()) * 1024
    print(f"VmPeak importing torch + onnxruntime: {peak / GiB:.2f} GiB")
    assert peak < SandboxLimits().memory_bytes / 2


def test_user_tasks_counts_this_process():
    assert sandbox._user_tasks() >= len(os.listdir("/proc/self/task"))


def test_a_parent_under_tighter_limits_still_runs_children(tmp_path):
    """A grader that is itself limited (e.g. 2 GiB) cannot raise the child's limits: the
    sandbox lowers them to what is allowed instead of failing."""
    code = f"""
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from autograder.artifacts.sandbox import run, SandboxLimits
result = run([sys.executable, "-I", "-c", "print(open('/proc/self/limits').read())"],
             Path({str(tmp_path)!r}), SandboxLimits())
print(result.returncode)
"""
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip().endswith("0"), done.stderr
    limits = (tmp_path / "stdout.txt").read_text()
    line = next(row for row in limits.splitlines() if row.startswith("Max address space"))
    assert line.split()[3] == str(3 * GiB)
