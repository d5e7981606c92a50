"""The OS calls both sandboxes are built on: unshare(2), prctl(2), rlimits, killing a group.

`autograder.artifacts.sandbox` (the child that loads an artifact) and `autograder.grading`
(a student's whole grading run) isolate different things, the same way. Python 3.11 has no
os.unshare, so libc is called through ctypes. These run between fork and exec or before any
thread exists: they import nothing and print nothing. `ForkedChild` manages a child forked
without an exec (a pre-forked kernel, a forked server) as `subprocess.Popen` manages one.

Importing this module works on any OS: libc is opened on first use, and where a call does not
exist (no `resource` module on Windows, no unshare(2) outside Linux) it raises OSError, which
callers treat as "this layer is not available here".
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import signal
import time
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: no rlimits
    resource = None

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000


@functools.cache
def _open_libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError) as exc:  # Windows has no process-wide C library handle
        raise OSError(errno.ENOSYS, f"the C library cannot be opened here ({exc})") from exc


class _Libc:
    """libc, opened on first use; a function this OS's libc lacks raises OSError(ENOSYS)."""

    def __getattr__(self, name: str):
        try:
            return getattr(_open_libc(), name)
        except AttributeError:
            raise OSError(errno.ENOSYS, f"{name}(2) does not exist on this OS") from None


libc = _Libc()


def raise_for_errno(result: int, what: str) -> None:
    """Raise OSError with errno's reason when a libc call failed."""
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def unshare(flags: int) -> None:
    raise_for_errno(libc.unshare(flags), "unshare")


def unshare_maybe_as_user(flags: int) -> str:
    """unshare(flags) directly (root), else inside a new user namespace in which this process
    keeps its own uid and gid, so file access is unchanged. Returns how."""
    try:
        unshare(flags)
        return "privileged"
    except OSError as direct:
        if direct.errno not in (errno.EPERM, errno.EACCES):
            raise
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER | flags)
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return "user namespace"


def prctl(option: int, value: int) -> bool:
    """prctl(option, value); False where the OS refuses it or has no prctl."""
    try:
        return libc.prctl(option, value, 0, 0, 0) == 0
    except OSError:  # not Linux
        return False


def lower_rlimit(kind: int, soft: int, hard: int | None = None) -> None:
    """Set a limit, never above what this process may already use: a grader running under
    limits of its own cannot raise them, and must not fail because of that."""
    if resource is None:
        raise OSError(errno.ENOSYS, "this OS has no resource limits")
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def kill_group(pid: int, sig: int = getattr(signal, "SIGKILL", signal.SIGTERM)) -> None:
    """Send `sig` to the process group `pid` leads (a child started with
    `start_new_session=True`), so whatever it started ends too. Where there are no process
    groups (Windows), the process and its descendants are killed one by one. A group that is
    already gone is not an error."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        return
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [*parent.children(recursive=True), parent]
    except psutil.Error:
        return
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass


class ForkedChild:
    """A child this process forked, managed as `subprocess.Popen` manages one (pid, poll, wait,
    signals), for the code that hands it to a Popen's users: jupyter_client, the fork server's
    channel."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: gone, as Popen takes it
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)
