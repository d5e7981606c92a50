"""A warm start for the sandboxed child: a process that has imported scikit-learn (or torch)
once, and forks a child for each check.

A fresh `python -I` child spends about 1.3 s importing scikit-learn (scipy.stats and pandas
come with it), or 1.5 s importing torch, before it reads a byte of the student's file, and a
lesson runs many checks. A server is started on the first check that asks for it
(`sandbox.run(..., warm=MODULES)`, which `reload` asks for scikit-learn and torch files), one
per family of libraries (`family`) and parent process, in its own temporary folder with the
scrubbed environment a child gets. It imports its family's modules (`FAMILIES`) and those
the checks ask for, and never opens an artifact itself. For each check it forks, and the
fork, before it runs anything:
- starts a session of its own (the timeout kills its whole group, as for a fresh child);
- enters the same walls `sandbox.enter` builds for a fresh child: a new network namespace and
  the resource limits (a fork's CPU time starts at zero, so the CPU limit is its own);
- moves to the check's folder, takes the scrubbed environment made for it, and points stdin,
  stdout and stderr where a fresh child's go;
then runs the command's code as `python -I -B -c CODE ARGS` would. What differs from a fresh
process is only what is already imported. If a wall cannot be built in the fork, or the
server cannot start or has died, the caller runs the check in a fresh process instead
(`run` returns None), so a check never runs with fewer walls than a fresh child would have.
Only libraries that start no thread when imported are preloaded: a fork copies one thread.

A kernel pre-forked from a zygote (`autograder.grading.kernel.become`) has those libraries
imported already, and has run no student code: it forks its servers before it becomes ipykernel
(`prestart`), so its first check does not pay for the imports either. Such a server makes
itself what a fresh one is (`_as_fresh_server`): its own session, folder and scrubbed
environment, the standard streams on its pipes and every other file closed, `python -I -B`'s
`sys.path`, an empty `__main__`. It differs in what it has imported, and so in its address
space (about 150 MB more for a lesson's kernel: nbgrader and ipykernel, which RLIMIT_AS counts).

Linux only (fork after imports is not safe on macOS; Windows has no fork). The server exits
when its parent closes the pipe (the parent ended) or after `IDLE_SECONDS` without a check.
`AUTOGRADER_FORKSERVER=0` turns it off.
"""

from __future__ import annotations

import builtins
import functools
import importlib.machinery
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
import types
from dataclasses import asdict
from pathlib import Path

from autograder.artifacts.sandbox import (
    STDERR,
    STDOUT,
    Layer,
    SandboxLimits,
    SandboxResult,
    available_layers,
    process_limit,
    scrubbed_environment,
    stderr_tail,
)
from autograder.common import isolation
from autograder.common.isolation import ForkedChild

# What each family's server imports when it starts: what a scikit-learn pickle, joblib or
# skops file needs before its own estimator modules; torch for torch files.
FAMILIES = {"scikit-learn": ("numpy", "joblib", "sklearn.base", "autograder.artifacts.child"),
            "torch": ("numpy", "torch", "autograder.artifacts.child")}
IDLE_SECONDS = 300
START_SECONDS = 60  # the server's imports before a fork, on a loaded machine
REAP_SECONDS = 30  # from a fork's end to the server's word on it
# leaves no name in __main__, as `_as_fresh_server` makes it
SERVE = "__import__('autograder.artifacts.forkserver', fromlist=['serve']).serve({name!r})"


def enabled() -> bool:
    return (sys.platform == "linux" and hasattr(os, "fork")
            and os.environ.get("AUTOGRADER_FORKSERVER", "1") != "0")


def warm_code(argv: list[str]) -> str | None:
    """The code of a `python -I -B -c CODE ...` command, which a fork can run; else None."""
    prefix = [sys.executable, "-I", "-B", "-c"]
    return argv[4] if len(argv) > 4 and argv[:4] == prefix else None


class _Channel:
    """Lines of JSON over the server's pipes, read with a deadline."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.buffer = b""

    def send(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError("the fork server did not answer in time")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError("the fork server has exited")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


class _Server:
    def __init__(self, name: str, folder: tempfile.TemporaryDirectory, process):
        self.name = name  # its family
        self.folder = folder
        self.owner = os.getpid()
        self.process = process  # a Popen, or a ForkedChild with the same pipes
        self.channel = _Channel(process)

    @classmethod
    def started(cls, name: str) -> _Server:
        """A fresh interpreter that imports the family's modules."""
        folder = tempfile.TemporaryDirectory(prefix="autograder-forkserver-")
        return cls(name, folder, subprocess.Popen(
            [sys.executable, "-I", "-B", "-c", SERVE.format(name=name)], cwd=folder.name,
            env=scrubbed_environment(Path(folder.name)), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True))

    @classmethod
    def forked(cls, name: str) -> _Server:
        """A fork of this process (`prestart`), made what `started` makes."""
        folder = tempfile.TemporaryDirectory(prefix="autograder-forkserver-")
        requests, to_server = os.pipe()
        from_server, replies = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered here may reach a check's output
        pid = os.fork()
        if pid == 0:
            try:
                _as_fresh_server(name, Path(folder.name), requests, replies)
            finally:
                os._exit(1)
        os.close(requests)
        os.close(replies)
        process = ForkedChild(pid)
        process.stdin, process.stdout = os.fdopen(to_server, "wb"), os.fdopen(from_server, "rb")
        return cls(name, folder, process)

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def close(self) -> None:
        isolation.kill_group(self.process.pid)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            stream.close()
        self.folder.cleanup()


_servers: dict[str, _Server] = {}  # by family: one server per kind of library
_lock = threading.Lock()


def family(preload: tuple[str, ...]) -> str:
    """Which server a check goes to. torch adds about 470 MB to a process's address space,
    which RLIMIT_AS counts, so its files get a server of their own: a scikit-learn file
    checked after a torch file then has the room a fresh child would have."""
    return "torch" if any(m.partition(".")[0] == "torch" for m in preload) else "scikit-learn"


def _get_server(name: str) -> _Server | None:
    server = _servers.get(name)
    if server is not None and not server.alive():
        if server.owner == os.getpid():
            _discard(name)
        else:  # inherited through a fork of the owner: the owner's to close
            del _servers[name]
    if name not in _servers:
        try:
            _servers[name] = _Server.started(name)
        except OSError:
            return None
    return _servers[name]


def _discard(name: str | None = None) -> None:
    """Close one family's server, or all of them."""
    for key in [name] if name is not None else list(_servers):
        server = _servers.pop(key, None)
        if server is not None:
            server.close()


def run(argv: list[str], workdir: Path, limits: SandboxLimits, *, while_waiting=None,
        preload: tuple[str, ...] = ()) -> SandboxResult | None:
    """`argv` (a `python -I -B -c CODE ARGS` command) in a fork of the server, behind the walls
    a fresh child would have; None, before anything ran, when it cannot (the caller then
    starts a fresh process). The server imports `preload` first, once (skops.io alone takes
    3 s). `while_waiting` runs only when this returns a result. One check at a time uses
    the server: a check from another thread meanwhile gets None."""
    code = warm_code(argv)
    if code is None or not enabled() or not _lock.acquire(blocking=False):
        return None
    name = family(preload)
    try:
        server = _get_server(name)
        return None if server is None else _run(server, code, argv[5:], workdir, limits,
                                                while_waiting, preload)
    except BaseException:  # an interrupt mid-check: the replies are out of step, start over
        _discard(name)
        raise
    finally:
        _lock.release()


def _run(server: _Server, code: str, args: list[str], workdir: Path, limits: SandboxLimits,
         while_waiting, preload: tuple[str, ...]) -> SandboxResult | None:
    layers = available_layers()  # on Linux, the process group among them
    start = time.perf_counter()
    try:
        server.channel.send({"code": code, "args": args, "workdir": str(workdir),
                             "preload": list(preload), "layers": list(layers),
                             "limits": asdict(limits), "nproc": process_limit(limits, layers)})
        started = server.channel.receive(START_SECONDS)
        if not started["walls"]:  # a wall could not be built: the fork ran nothing
            server.channel.receive(REAP_SECONDS)
            return None
        pid = int(started["pid"])
    except (OSError, EOFError, TimeoutError, ValueError, KeyError):
        _discard(server.name)
        return None
    try:
        if while_waiting is not None:
            while_waiting()
        remaining = max(0.0, limits.wall_seconds - (time.perf_counter() - start))
        returncode, timed_out = _returncode(server, remaining), False
    except TimeoutError:
        returncode, timed_out = None, True
    finally:
        isolation.kill_group(pid)  # also anything it left running
    if timed_out:
        try:
            _returncode(server, REAP_SECONDS)  # the server reaps the killed fork and says so
        except TimeoutError:
            _discard(server.name)
    return SandboxResult(returncode=returncode, timed_out=timed_out,
                         seconds=time.perf_counter() - start, layers=layers,
                         stderr_tail=stderr_tail(workdir))


def _returncode(server: _Server, timeout: float) -> int | None:
    """The fork's exit code, once the server has reaped it (TimeoutError if not yet; a dead
    server is discarded and gives None)."""
    try:
        return int(server.channel.receive(timeout)["returncode"])
    except TimeoutError:  # an OSError too, but the server may still answer
        raise
    except (OSError, EOFError, ValueError, KeyError):
        _discard(server.name)
        return None


@functools.cache
def isolated_path() -> tuple[str, ...]:
    """`sys.path` in a `python -I -B` process: where a forked server's checks import from."""
    done = subprocess.run([sys.executable, "-I", "-B", "-c",
                           "import json, sys; print(json.dumps(sys.path))"],
                          capture_output=True, text=True, check=True, timeout=START_SECONDS)
    return tuple(json.loads(done.stdout))


def warm_up() -> None:
    """In a process whose forks will `prestart` (a zygote): what a forked server needs and a
    fresh one would import, now, once."""
    import autograder.artifacts.child  # noqa: F401

    isolated_path()


def prestart() -> None:
    """Fork a server now for each family whose modules this process has imported, so the first
    check forks at once. Call only where no student code has run yet (the server must know
    nothing a fresh one would not), with one thread. A family whose modules are not all here
    is left to start fresh at its first check; so is scikit-learn's when torch is loaded here
    (a check of a scikit-learn file must have the room a fresh child has, as `family` says)."""
    if not enabled():
        return
    for name, modules in FAMILIES.items():
        if name in _servers or not all(module in sys.modules for module in modules):
            continue
        if name != "torch" and "torch" in sys.modules:
            continue
        try:
            _servers[name] = _Server.forked(name)
        except OSError:
            pass  # started fresh at the first check


# --- the server process -------------------------------------------------------------------


def _as_fresh_server(name: str, folder: Path, requests: int, replies: int) -> None:
    """In a fork of a clean process: be what `python -I -B -c SERVE` started in `folder` is,
    then serve. Never returns."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd, target in ((requests, 0), (replies, 1), (null, 2)):
        os.dup2(fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))  # as Popen's close_fds leaves a fresh child
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the server's requests, until it ends
    os.chdir(folder)
    os.environ.clear()
    os.environ.update(scrubbed_environment(folder))
    sys.path[:] = isolated_path()
    sys.argv = ["-c"]
    sys.dont_write_bytecode = True
    main = types.ModuleType("__main__")  # a notebook's classes are not here; as `-c` makes it:
    main.__builtins__, main.__annotations__ = builtins, {}
    main.__loader__ = importlib.machinery.BuiltinImporter
    sys.modules["__main__"] = main
    tempfile.tempdir = None
    serve(name)
    os._exit(0)


def serve(name: str) -> None:
    """The server's loop: one request at a time from stdin, replies on the original stdout."""
    import importlib

    replies = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # a library that prints at import must not garble the replies
    for module in FAMILIES[name]:
        importlib.import_module(module)
    requests = sys.stdin.buffer
    while select.select([requests], [], [], IDLE_SECONDS)[0]:
        line = requests.readline()
        if not line:
            return  # the parent closed the pipe: it ended
        request = json.loads(line)
        for module in request.get("preload", ()):
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - the fork imports it again and reports why
                pass
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(replies)
            _child(request, ready_w, devnull)
        os.close(ready_w)
        walls = os.read(ready_r, 1) == b"1"
        os.close(ready_r)
        os.write(replies, json.dumps({"pid": pid, "walls": walls}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        os.write(replies, json.dumps({"returncode": os.waitstatus_to_exitcode(status)})
                 .encode() + b"\n")


def _child(request: dict, ready: int, devnull: int) -> None:
    """In the fork: the walls, then the code as `python -I -B -c` runs it. Never returns."""
    import builtins
    import traceback

    from autograder.artifacts.sandbox import enter

    code = 1
    try:
        os.setsid()
        workdir = Path(request["workdir"])
        enter(tuple(Layer(layer) for layer in request["layers"]),
              SandboxLimits(**request["limits"]), int(request["nproc"]))
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(scrubbed_environment(workdir))
        tempfile.tempdir = None  # found again from TMPDIR: the check's own folder
        os.dup2(devnull, 0)
        for fd, name in ((1, STDOUT), (2, STDERR)):
            out = os.open(workdir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, fd)
            os.close(out)
        os.write(ready, b"1")
        os.close(ready)
        sys.argv = ["-c", *request["args"]]
        try:
            exec(compile(request["code"], "<string>", "exec"),
                 {"__name__": "__main__", "__builtins__": builtins})
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - exiting anyway
                pass
        os._exit(code)
