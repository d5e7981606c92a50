"""Run one command in a sandboxed child process: the only place an artifact is ever loaded.

The child gets, where the OS allows (each result lists the `Layer`s it really had):
- a fresh temporary working directory (also its HOME and TMPDIR), removed afterwards;
- a scrubbed environment: no PYTHON* variables, no tokens, one thread per math library;
- a wall-clock timeout, after which its whole process group is killed;
- resource limits: address space (RLIMIT_AS), CPU seconds, size of any file it writes,
  number of processes, no core dumps (POSIX systems with the `resource` module);
- no network: a new, empty network namespace (`unshare(CLONE_NEWNET)`, inside a new user
  namespace when not root; Linux only). Whether this works is probed once.
A layer the OS lacks is left out and reported, never a reason to fail: on Windows or macOS a
check still runs, in a child with fewer walls (the static analysis refuses unsafe files first).

The address-space limit must leave room for what torch and onnxruntime reserve rather than use:
importing torch and running a TorchScript and a `.pt2` model peaks at about 0.75 GB of virtual
memory with one thread (tests/test_artifacts_sandbox.py measures it); the default is 4 GiB.
RLIMIT_NPROC counts every process and thread of the user, so the limit is the user's current
count plus a margin; the kernel does not enforce it for root.
"""

from __future__ import annotations

import functools
import os
import subprocess
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from autograder.common import isolation
from autograder.common.isolation import resource

GiB = 1024**3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
WINDOWS_VARIABLES = ("SYSTEMROOT", "WINDIR")  # a Windows Python cannot start without them
STDOUT, STDERR = "stdout.txt", "stderr.txt"  # the child's output, in its working folder


class Layer(StrEnum):
    """One wall around the child. The first three are always there."""

    FOLDER = "temporary folder"
    ENVIRONMENT = "scrubbed environment"
    TIMEOUT = "wall-clock timeout"
    PROCESS_GROUP = "process group"  # the timeout kills what the child started too
    LIMITS = "resource limits"
    NETWORK = "no network"


ALWAYS = (Layer.FOLDER, Layer.ENVIRONMENT, Layer.TIMEOUT)


@dataclass(frozen=True, kw_only=True)
class SandboxLimits:
    memory_bytes: int = 4 * GiB
    cpu_seconds: int = 300
    file_bytes: int = 1 * GiB
    extra_processes: int = 64
    wall_seconds: float = 120.0

    @classmethod
    def for_timeout(cls, seconds: float) -> SandboxLimits:
        """Limits for a check given `seconds` of wall clock: the CPU limit is a little above
        it, so a busy loop is stopped by the CPU limit where there is one."""
        return cls(wall_seconds=seconds, cpu_seconds=int(seconds) + 5)



@dataclass(frozen=True, kw_only=True)
class SandboxResult:
    returncode: int | None  # None when the child was killed for taking too long
    timed_out: bool
    seconds: float
    layers: tuple[Layer, ...]  # the walls the child really had
    stderr_tail: str  # for diagnostics only; never copied to the caller's stderr

    @property
    def network_isolated(self) -> bool:
        return Layer.NETWORK in self.layers


def _unshare_network() -> None:
    """In the child, before exec: a new network namespace (in a user namespace if not root)."""
    isolation.unshare_maybe_as_user(isolation.CLONE_NEWNET)


@functools.cache
def network_isolation_available() -> bool:
    """Probe once whether this machine lets a child drop into an empty network namespace."""
    if os.name != "posix":
        return False
    try:
        subprocess.run(["/bin/true"], preexec_fn=_unshare_network, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    except (subprocess.SubprocessError, OSError):
        return False
    return True


def available_layers() -> tuple[Layer, ...]:
    """The walls this OS can build around a child."""
    layers = list(ALWAYS)
    if os.name == "posix":
        layers.append(Layer.PROCESS_GROUP)
        if resource is not None:
            layers.append(Layer.LIMITS)
        if network_isolation_available():
            layers.append(Layer.NETWORK)
    return tuple(layers)


def _user_tasks() -> int:
    """Processes and threads of this user now: RLIMIT_NPROC counts them all (by real uid)."""
    import psutil

    uid, count = os.getuid(), 0
    for process in psutil.process_iter(["uids", "num_threads"]):
        uids, threads = process.info["uids"], process.info["num_threads"]
        if uids is not None and uids.real == uid:
            count += threads or 1
    return count


def scrubbed_environment(workdir: Path) -> dict[str, str]:
    env = {"PATH": os.pathsep.join(["/usr/bin", "/bin"]), "HOME": str(workdir),
           "TMPDIR": str(workdir), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "MALLOC_ARENA_MAX": "2", "TORCHINDUCTOR_CACHE_DIR": str(workdir / "inductor")}
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"))  # deterministic, and fair on shared cores
    env.update({name: os.environ[name] for name in WINDOWS_VARIABLES if name in os.environ})
    return env


def process_limit(limits: SandboxLimits, layers: tuple[Layer, ...]) -> int:
    """RLIMIT_NPROC for a child: counted here, in the parent, before it starts."""
    return _user_tasks() + limits.extra_processes if Layer.LIMITS in layers else 0


def enter(layers: tuple[Layer, ...], limits: SandboxLimits, nproc: int) -> None:
    """In the child, before it runs anything: the network namespace and the resource limits
    of `layers` (a fork's CPU time starts at zero, so the CPU limit is the child's own).
    No imports, no output: it runs between fork and exec."""
    if Layer.NETWORK in layers:
        _unshare_network()
    if Layer.LIMITS in layers:
        cpu = max(1, int(limits.cpu_seconds))
        isolation.lower_rlimit(resource.RLIMIT_AS, limits.memory_bytes)
        isolation.lower_rlimit(resource.RLIMIT_CPU, cpu, cpu + 5)
        isolation.lower_rlimit(resource.RLIMIT_FSIZE, limits.file_bytes)
        isolation.lower_rlimit(resource.RLIMIT_NPROC, nproc)
        isolation.lower_rlimit(resource.RLIMIT_CORE, 0)


def _preexec(limits: SandboxLimits, layers: tuple[Layer, ...]):
    """What the child does between fork and exec to enter `layers`, or None if nothing."""
    if Layer.LIMITS not in layers and Layer.NETWORK not in layers:
        return None
    nproc = process_limit(limits, layers)
    return lambda: enter(layers, limits, nproc)


def _fewer(layers: tuple[Layer, ...]):
    """`layers`, then without the network namespace, then without the limits too: a layer the
    probe allowed can still fail for one child (a limit this OS refuses, a busy namespace)."""
    yield layers
    for dropped in (Layer.NETWORK, Layer.LIMITS):
        if dropped in layers:
            layers = tuple(layer for layer in layers if layer is not dropped)
            yield layers


def run(argv: list[str], workdir: Path, limits: SandboxLimits = SandboxLimits(), *,
        while_waiting=None, warm: tuple[str, ...] | None = None) -> SandboxResult:
    """Run argv in `workdir` under the limits; stdout and stderr go to files there.

    `while_waiting()`, if given, runs in this process while the child starts (the caller's
    own imports and file reads overlap with the child's). `warm` (modules to have imported):
    a `python -I -B -c CODE` command runs in a fork of `autograder.artifacts.forkserver`'s
    process, which has imported scikit-learn and those modules already, behind the same
    walls; where it cannot, in a new process as always.
    """
    workdir = Path(workdir)
    if warm is not None:
        from autograder.artifacts import forkserver

        ran = forkserver.run(argv, workdir, limits, while_waiting=while_waiting, preload=warm)
        if ran is not None:
            return ran
    start = time.perf_counter()
    with open(workdir / STDOUT, "wb") as out, open(workdir / STDERR, "wb") as err:
        attempts = list(_fewer(available_layers()))
        for i, layers in enumerate(attempts):
            try:
                proc = subprocess.Popen(argv, cwd=workdir, env=scrubbed_environment(workdir),
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                        start_new_session=Layer.PROCESS_GROUP in layers,
                                        preexec_fn=_preexec(limits, layers))
                break
            except subprocess.SubprocessError:
                if i == len(attempts) - 1:
                    raise
        try:
            if while_waiting is not None:
                while_waiting()
            remaining = max(0.0, limits.wall_seconds - (time.perf_counter() - start))
            returncode: int | None = proc.wait(timeout=remaining)
            timed_out = False
        except subprocess.TimeoutExpired:
            returncode, timed_out = None, True
        finally:
            isolation.kill_group(proc.pid)  # also anything it left running
            proc.wait()
    return SandboxResult(returncode=returncode, timed_out=timed_out,
                         seconds=time.perf_counter() - start, layers=layers,
                         stderr_tail=stderr_tail(workdir))


def stderr_tail(workdir: Path) -> str:
    """The end of the child's stderr, for diagnostics."""
    try:
        with open(workdir / STDERR, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
