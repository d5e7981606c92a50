"""The kernel calls both sandboxes are built on: unshare(2), prctl(2) and lowering rlimits.

`autograder.artifacts.sandbox` (the child that loads an artifact) and `autograder.grading`
(a student's whole grading run) isolate different things, the same way. Python 3.11 has no
os.unshare, so libc is called through ctypes. These run between fork and exec or before any
thread exists: they import nothing and print nothing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)


def check(result: int, what: str) -> None:
    """Raise OSError with errno's reason when a libc call failed."""
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def unshare(flags: int) -> None:
    check(libc.unshare(flags), "unshare")


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
    """prctl(option, value); False where the OS refuses it."""
    try:
        return libc.prctl(option, value, 0, 0, 0) == 0
    except AttributeError:  # not Linux
        return False


def lower_rlimit(kind: int, soft: int, hard: int | None = None) -> None:
    """Set a limit, never above what this process may already use: a grader running under
    limits of its own cannot raise them, and must not fail because of that."""
    hard = soft if hard is None else hard
    _, current = resource.getrlimit(kind)
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))
