"""Isolation with Linux namespaces where the OS allows it, and an honest report where it does not.

Two layers, both entered with unshare(2) (`autograder.common.isolation`):

- `enter_job()`, first thing in the runner, while it is still single-threaded: a new network
  namespace (only a loopback, brought up so the Jupyter kernel and nbgrader can still talk over
  127.0.0.1) and a new PID namespace whose init is the runner's child (`become_init`). Killing
  that init kills every process the submission started, however it daemonized. As root this
  needs nothing else; otherwise it runs inside a new user namespace, where the kernel allows one.
- `hide()`, in the kernel launcher just before ipykernel starts: a private mount namespace in
  which the gradebooks, the source notebooks, the submissions and every other job's files are
  covered by empty tmpfs (folders) or /dev/null (files). Only the notebook's own folder stays
  visible, minus the notebooks in it (the sanitized copy holds the hidden tests).

Nothing here ever raises for lack of privileges: each step returns what it achieved (a flag,
and a phrase for the report), which the runner reports with the grades.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.common.isolation import (
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    libc,
    unshare_maybe_as_user,
)
from autograder.common.isolation import raise_for_errno as check

MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


@dataclass(frozen=True, kw_only=True)
class Isolation:
    """What the job's sandbox achieved: a flag per layer, and a short phrase for the report."""

    network: str = "not isolated"
    processes: str = "process group only"
    files: str = "working copy only"
    network_isolated: bool = False  # a network namespace with only a loopback
    pid_namespace: bool = False  # one PID namespace: killing its init kills everything
    files_hidden: bool = False  # the kernel's mount namespace hides the protected paths

    @property
    def full(self) -> bool:
        return self.network_isolated and self.pid_namespace and self.files_hidden


@dataclass(frozen=True, kw_only=True)
class Hidden:
    """What `hide` achieved."""

    hidden: bool
    files: str  # "hidden (...)" or "not hidden (reason)"


def _mount(source: str | None, target: str | Path, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(value):
        return None if value is None else str(value).encode()

    check(libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
          f"mount {target}")


def loopback_up() -> None:
    """A new network namespace has a loopback interface, down: bring it up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def enter_job() -> Isolation:
    """New network, PID and mount namespaces for this process's future children."""
    try:
        how = unshare_maybe_as_user(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        loopback_up()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Isolation(network=f"not isolated ({reason})",
                         processes=f"process group only ({reason})")
    return Isolation(network=f"isolated (network namespace, {how})",
                     processes="PID namespace: killed as one", network_isolated=True,
                     pid_namespace=True)


def become_init() -> None:
    """Fork: the child is PID 1 of the new PID namespace and returns; the parent waits for it
    and exits with its status. When the child ends, the kernel kills everything left inside."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
    # A /proc of this namespace, so tools (psutil, jupyter_client) see its own processes.
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def environment_under(scratch: list[str]) -> list[Path]:
    """The Python environment and the course package, where they sit under a scratch folder."""
    import autograder

    wanted = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    wanted.add(Path(autograder.__file__).resolve().parents[1])
    under = sorted(p for p in wanted if any(p.is_relative_to(s) for s in scratch))
    return [p for p in under if not any(p != q and p.is_relative_to(q) for q in under)]


def hide(paths: list[Path], keep: Path | None = None,
         hide_in_keep: tuple[str, ...] = ()) -> Hidden:
    """Cover `paths` in a new mount namespace, then make `keep` visible again where it was.

    Then every other mount is made read-only (the course, its environment, the home folder:
    nothing a later kernel or the grader loads can be planted), and /tmp and /dev/shm become
    private tmpfs.
    """
    try:
        unshare_maybe_as_user(CLONE_NEWNS)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        keep_fd = os.open(keep, os.O_PATH | os.O_DIRECTORY) if keep is not None else None
        covered = 0
        for path in sorted({Path(p).absolute() for p in paths}, key=lambda p: len(p.parts)):
            if path.is_dir():
                _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
            elif path.exists():
                _mount("/dev/null", path, None, MS_BIND)
            else:
                continue  # absent, or already under a covered folder
            covered += 1
        # Private scratch space first: a kept folder under /tmp is bound back on top of it.
        scratch = [p for p in ("/tmp", "/dev/shm") if Path(p).is_dir()]
        # A course or environment that itself lives under /tmp (a fresh CI clone) must stay
        # visible: hold it now, with the covers above mounted inside it, and bind it back
        # recursively, so the covers come along.
        held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY))
                for path in environment_under(scratch)]
        for point in scratch:
            _mount("tmpfs", point, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        for path, fd in held:
            path.mkdir(parents=True, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            os.close(fd)
        if keep_fd is not None:
            # Bound even where still visible: a mount of its own stays writable below.
            keep.mkdir(parents=True, exist_ok=True)
            _mount(f"/proc/self/fd/{keep_fd}", keep, None, MS_BIND)
            os.close(keep_fd)
            for pattern in hide_in_keep:
                for path in keep.glob(pattern):
                    if path.is_file():
                        _mount("/dev/null", path, None, MS_BIND)
        read_only = read_only_except({*scratch, *([str(keep)] if keep is not None else [])})
        if keep is not None:
            os.chdir(keep)  # the old working directory still points into the read-only mount
    except OSError as exc:
        return Hidden(hidden=False, files=f"not hidden ({exc.strerror or exc})")
    return Hidden(hidden=True, files=f"hidden (mount namespace: {covered} paths covered, "
                                     f"{read_only} mounts read-only, private /tmp)")


# mountinfo options that a remount must repeat (a user namespace may not clear locked ones)
MOUNT_FLAGS = {"ro": 1, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
               "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
MS_REMOUNT = 32
SKIP_READ_ONLY = ("/proc", "/sys", "/dev")


def read_only_except(keep: set[str]) -> int:
    """Remount every mount read-only, except `keep` and the kernel's pseudo-filesystems."""
    count = 0
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        point = fields[4].encode().decode("unicode_escape")
        if point in keep or any(point == s or point.startswith(s + "/") for s in SKIP_READ_ONLY):
            continue
        flags = sum(MOUNT_FLAGS.get(opt, 0) for opt in fields[5].split(","))
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | flags | 1)
            count += 1
        except OSError:
            pass  # e.g. a mount covered by another: it is not reachable anyway
    return count


PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_privileges(*, now: bool = False) -> str:
    """No capabilities after the next exec, and no way back (setuid binaries, file caps).
    With `now`, none from this moment either: for a kernel that starts without an exec
    (`prefork`), whose effective set would otherwise stay the runner's.

    Without CAP_SYS_PTRACE the kernel cannot trace the grader or reach its files through
    /proc/PID/root; without CAP_SYS_ADMIN it cannot undo the mounts above.
    """
    try:
        last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        last = 40
    dropped = sum(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 for cap in range(last + 1))
    no_new = libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    said = f"{dropped} capabilities dropped" + ("" if no_new else ", no_new_privs refused")
    if now:
        libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        empty = (_CapData * 2)()  # every set of both 32-bit halves: empty
        if libc.capset(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), empty) != 0:
            said += ", capset refused"
    return said
