"""Run one command in a sandboxed child process: the only place an artifact is ever loaded.

The child gets, where the OS allows:
- a fresh temporary working directory (also its HOME and TMPDIR), removed afterwards;
- a scrubbed environment: no PYTHON* variables, no tokens, one thread per math library;
- resource limits: address space (RLIMIT_AS), CPU seconds, size of any file it writes,
  number of processes, no core dumps;
- a wall-clock timeout, after which its whole process group is killed;
- no network: a new, empty network namespace (`unshare(CLONE_NEWNET)`, inside a new user
  namespace when not root). Whether this worked is probed once and reported in every result;
  its absence never makes a run fail.

The address-space limit must leave room for what torch and onnxruntime reserve rather than use:
importing torch and running a TorchScript and a `.pt2` model peaks at about 0.75 GB of virtual
memory on this machine with one thread (tests/test_sandbox.py measures it); the default is 4 GiB.
RLIMIT_NPROC counts every process and thread of the user, so the limit is the user's current
count plus a margin; the kernel does not enforce it for root.
"""

from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.common import isolation

GiB = 1024**3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 * GiB
    cpu_seconds: int = 300
    file_bytes: int = 1 * GiB
    extra_processes: int = 64
    wall_seconds: float = 120.0


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None  # None when the child was killed for taking too long
    timed_out: bool
    seconds: float
    network_isolated: bool
    stderr_tail: str  # for diagnostics only; never copied to the caller's stderr


def _unshare_network() -> None:
    """In the child, before exec: a new network namespace (in a user namespace if not root)."""
    isolation.unshare_maybe_as_user(isolation.CLONE_NEWNET)


@functools.cache
def network_isolation_available() -> bool:
    """Probe once whether this machine lets a child drop into an empty network namespace."""
    try:
        subprocess.run(["/bin/true"], preexec_fn=_unshare_network, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def _user_tasks() -> int:
    """Processes and threads of this user now: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue
    return count


def scrubbed_environment(workdir: Path) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "TMPDIR": str(workdir),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MALLOC_ARENA_MAX": "2",
           "TORCHINDUCTOR_CACHE_DIR": str(workdir / "inductor")}
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"))  # deterministic, and fair on shared cores
    return env


def _preexec(limits: Limits, isolate_network: bool, nproc: int):
    def setup() -> None:  # runs in the child between fork and exec: no imports, no output
        if isolate_network:
            _unshare_network()
        cpu = max(1, int(limits.cpu_seconds))
        isolation.lower_rlimit(resource.RLIMIT_AS, limits.memory_bytes)
        isolation.lower_rlimit(resource.RLIMIT_CPU, cpu, cpu + 5)
        isolation.lower_rlimit(resource.RLIMIT_FSIZE, limits.file_bytes)
        isolation.lower_rlimit(resource.RLIMIT_NPROC, nproc)
        isolation.lower_rlimit(resource.RLIMIT_CORE, 0)
    return setup


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(argv: list[str], workdir: Path, limits: Limits = Limits(), *,
        while_waiting=None) -> SandboxResult:
    """Run argv in `workdir` under the limits; stdout and stderr go to files there.

    `while_waiting()`, if given, runs in this process while the child starts (the caller's
    own imports and file reads overlap with the child's).
    """
    workdir = Path(workdir)
    isolate = network_isolation_available()
    nproc = _user_tasks() + limits.extra_processes
    start = time.perf_counter()
    with open(workdir / "stdout.txt", "wb") as out, open(workdir / "stderr.txt", "wb") as err:
        def spawn(isolate_network: bool) -> subprocess.Popen:
            return subprocess.Popen(argv, cwd=workdir, env=scrubbed_environment(workdir),
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True,
                                    preexec_fn=_preexec(limits, isolate_network, nproc))
        try:
            proc = spawn(isolate)
        except subprocess.SubprocessError:  # isolation worked for the probe, not now
            isolate = False
            proc = spawn(isolate)
        try:
            if while_waiting is not None:
                while_waiting()
            remaining = max(0.0, limits.wall_seconds - (time.perf_counter() - start))
            returncode: int | None = proc.wait(timeout=remaining)
            timed_out = False
        except subprocess.TimeoutExpired:
            returncode, timed_out = None, True
        finally:
            _kill_group(proc.pid)  # also anything it left running
            proc.wait()
    seconds = time.perf_counter() - start
    with open(workdir / "stderr.txt", "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
        tail = f.read().decode("utf-8", "replace")
    return SandboxResult(returncode, timed_out, seconds, isolate, tail)
