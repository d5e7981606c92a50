"""A clean, warm process per worker that forks each submission's runner.

A runner forked from the worker itself starts warm (nbgrader imported), but the worker has read
earlier students' results, so no kernel may be forked from that runner: student code could
read them in its memory. The zygote is a fresh interpreter that the worker starts once. It
imports nbgrader (`runner.warm_up`), ipykernel and the modules the assignment's released
notebooks import at top level (`preloads`: the instructor's notebooks with solutions and hidden
tests cleared, never a submission), then only forks runners. It runs no student code and reads
no student file, so a runner forked from it may fork the job's kernels in turn
(`prefork.start`), which then skip those imports.

The worker talks to it over a socket pair, one JSON line each way: first the zygote says it is
{"ready"} with its address space in bytes (the runners and kernels start that big, so a job
whose memory limit is less than twice that starts the usual way); then each request {spec,
log, env} is answered with the runner's {"pid"} and, when the runner ends, its {"exit"} code. The
zygote dies with the worker (PR_SET_PDEATHSIG), and the runners die with it.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import traceback
from pathlib import Path

KERNEL_IMPORTS = ("ipykernel.kernelapp", "ipykernel_launcher", "autograder.grading.kernel")
# A zygote's start (nbgrader, ipykernel and the lesson's imports: 3 s of CPU or more) is in the
# way of its worker's first job, and pays off from the second: graded alone, 05-security and
# 06-production waited 1.5-2 s longer with one (`make bench`, 2026-12-07 19:04 UTC).
JOBS_PER_WORKER = 2
INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets before user code
START_SECONDS = 120  # its imports, on a loaded machine; a zygote not ready by then is dropped
_current: Zygote | None = None


class ZygoteGone(OSError):
    """The zygote stopped answering: the runner starts the usual way instead."""


def imported_modules(source: str) -> list[str]:
    """The modules a cell imports at top level (not inside functions); [] if it does not parse."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from package import name`: the name may be a submodule (tried; else skipped)
            found += [node.module, *(f"{node.module}.{a.name}" for a in node.names
                                     if a.name != "*")]
    return [m for m in found if m.split(".")[0] != "__future__"]


def preloads(course, assignment: str) -> tuple[str, ...]:
    """What the zygote imports: the kernel's own modules, then the top-level imports of the
    assignment's notebooks as students receive them (solutions and hidden tests cleared, so
    nothing the kernel can see in sys.modules hints at either)."""
    import nbformat
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    hidden = ClearHiddenTests(config=course.config)
    solutions = ClearSolutions(config=course.config)
    modules = list(KERNEL_IMPORTS)
    for path in sorted(course.path("source_directory", ".", assignment).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError):
            continue
        for cell in nb.cells:
            if cell.cell_type == "code":
                hidden._remove_hidden_test_region(cell)
                solutions._replace_solution_region(cell, "python")
                modules += imported_modules(cell.source)
    return tuple(dict.fromkeys(modules))


def worth_starting(preload: tuple[str, ...]) -> bool:
    """Whether the notebooks import anything beyond the standard library: what a zygote saves
    each kernel (those imports, and scikit-learn's for its artifact checks' server). Without,
    it saves a kernel little more than ipykernel, and its own start (nbgrader and ipykernel,
    about 2 s of CPU) made grade-on-submit's tiny assignment wait longer (`make bench`)."""
    return any(name.partition(".")[0] not in sys.stdlib_module_names
               for name in preload if name not in KERNEL_IMPORTS)


class Zygote:
    """The worker's side: start the zygote, ask it for runners, hear when they end."""

    def __init__(self, preload: tuple[str, ...], env: dict[str, str]):
        self.preload, self.env = preload, env
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno()), json.dumps(list(preload))],
            pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL,
            start_new_session=True)
        theirs.close()
        self.socket, self.buffer = ours, b""
        self._size: int | None = None

    def size(self) -> int:
        """Its address space once its imports are done (waits for them)."""
        if self._size is None:
            try:
                ready = self._read(START_SECONDS)
                if ready is None:
                    raise ZygoteGone(f"the zygote was not ready after {START_SECONDS} s")
                self._size = int(ready["ready"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ZygoteGone(f"the zygote did not start ({exc})") from exc
        return self._size

    def _read(self, timeout: float | None) -> dict | None:
        """The next message, or None if none came within `timeout`; ZygoteGone if it ended."""
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([self.socket], [], [], timeout)
            if not ready:
                return None
            chunk = self.socket.recv(65536)
            if not chunk:
                raise ZygoteGone("the zygote ended")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def start_runner(self, spec: Path, log: Path, env: dict[str, str]):
        """(pid, wait(timeout) -> exit code or None), as `workers.start_runner` returns."""
        self.size()
        try:
            self.socket.sendall(json.dumps({"spec": str(spec), "log": str(log),
                                            "env": env}).encode() + b"\n")
            pid = self._read(None)["pid"]
        except (OSError, ValueError, KeyError) as exc:
            raise ZygoteGone(f"the zygote did not start a runner ({exc})") from exc
        ended: list[int] = []

        def wait(timeout: float | None) -> int | None:
            if not ended:
                try:
                    message = self._read(timeout)
                except (OSError, ValueError):
                    message = {"exit": -signal.SIGKILL}  # it died, and its runners with it
                if message is None:
                    return None
                ended.append(message["exit"])
            return ended[0]

        return pid, wait

    def close(self) -> None:
        self.socket.close()  # it reads the end of its input and exits
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def current(preload: tuple[str, ...], env: dict[str, str]) -> Zygote:
    """This worker's zygote for these imports and this environment, started if need be."""
    global _current
    if _current is not None and (_current.preload != preload or _current.env != env
                                 or _current.process.poll() is not None):
        _current.close()
        _current = None
    if _current is None:
        _current = Zygote(preload, env)
    return _current


def forget() -> None:
    """After a failure: the next job starts a new zygote."""
    global _current
    if _current is not None:
        _current.close()
        _current = None


def _import_all(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001 (a module that fails here fails in the kernel)
            if isinstance(exc, KeyboardInterrupt):
                raise


def serve(fd: int, preload: list[str]) -> None:
    from autograder.grading import runner

    runner.die_with_parent()  # end with the worker
    os.environ.setdefault("MPLBACKEND", INLINE)  # read by matplotlib when it is imported
    channel = socket.socket(fileno=fd)
    runner.warm_up()
    _import_all(preload)
    if "autograder.artifacts.reload" in sys.modules:  # the kernels will check saved files
        from autograder.artifacts import forkserver

        forkserver.warm_up()  # their warm servers are forked, not started (`kernel.become`)
    import psutil

    channel.sendall(json.dumps({"ready": psutil.Process().memory_info().vms}).encode() + b"\n")
    requests = channel.makefile("rb")
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                requests.close()
                channel.close()
                runner.forked(request["spec"], request["log"], request["env"], clean=True)
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
            except BaseException:  # into the runner's log, as a fresh interpreter would
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        channel.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        channel.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


if __name__ == "__main__":
    serve(int(sys.argv[1]), json.loads(sys.argv[2]))
