"""Servers the project starts itself, on 127.0.0.1 only: one module per service.

    postgres      Debian's PostgreSQL, as an unprivileged user, its data in a temporary folder
    dask_cluster  a Dask scheduler and its workers (`dask scheduler`, `dask worker`)

`autograder cluster start` (`make cluster`) starts both and `autograder cluster stop`
(`make cluster-stop`) ends them; the tests start their own as fixtures. Every process runs in
a session of its own, so stopping it ends everything it started. A server started for a
process that may be killed before it can stop it (a test run) gets a watchdog
(`stop_with_owner`) that stops it when that process ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"


class Unavailable(Exception):
    """A service cannot be installed or started here (one line: why)."""


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def log_tail(log: Path, lines: int = 5) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())


def wait_for(ready: Callable[[], bool], alive: Callable[[], bool], timeout: float,
             what: str, log: Path) -> None:
    """Poll `ready` until it holds; raise Unavailable if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive():
            raise Unavailable(f"{what} exited while starting: {log_tail(log)}")
        time.sleep(0.1)  # a server coming up has no event to wait on
    raise Unavailable(f"{what} did not come up within {timeout:g} s: {log_tail(log)}")


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie left by a parent that has not reaped it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_session(pid: int, grace: float = 20) -> None:
    """SIGTERM the process group `pid` leads, then SIGKILL it if it outlives `grace`."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def start_session(command: list[str], log: Path, **popen) -> subprocess.Popen:
    """Start `command` in a session of its own, stdin closed, output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, **popen)


# The watchdog: waits on pidfds (no polling, no pid reuse) for the owner or the server to end;
# if the owner went first, stops the server as `stop_session` would, then removes its folder.
# The pidfds are opened by the caller and inherited, so an owner that dies at once still counts.
_WATCHDOG = """
import os, select, shutil, signal, sys
owner, server, pid, sig = map(int, sys.argv[1:5])
folder = sys.argv[5]
ready, _, _ = select.select([owner, server], [], [])
if server not in ready:
    try:
        os.kill(pid, sig)
        if not select.select([server], [], [], 30)[0]:
            os.killpg(pid, signal.SIGKILL)
            select.select([server], [], [], 10)
    except ProcessLookupError:
        pass
    shutil.rmtree(folder, ignore_errors=True)
"""


def stop_with_owner(owner: int, server: int, sig: int, folder: Path) -> subprocess.Popen:
    """A watchdog in a session of its own: when `owner` ends before `server`, it sends `sig`
    to `server` (SIGKILL to its group after 30 s) and removes `folder`. It exits by itself
    when the server ends first. Linux only (pidfds)."""
    fds = (os.pidfd_open(owner), os.pidfd_open(server))
    try:
        return subprocess.Popen([sys.executable, "-I", "-c", _WATCHDOG, *map(str, fds),
                                 str(server), str(int(sig)), str(folder)],
                                pass_fds=fds, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        for fd in fds:
            os.close(fd)
