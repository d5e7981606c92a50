"""The Jupyter kernel used for grading: hide what student code must not see, then be ipykernel.

The job's kernelspec starts `python -m autograder.grading.kernel JAIL.json -f CONNECTION_FILE`
in the notebook's folder. Before any student code exists it enters a mount namespace where
the gradebooks, source notebooks, submissions and other jobs are covered and everything but
the notebook's folder is read-only (`sandbox.hide`), gives up every capability
(`sandbox.drop_privileges`), writes what it achieved (JSON) to the report file named in JAIL.json,
and replaces itself with ipykernel, which inherits all of it and the runner's rlimits.

A kernel pre-forked by the runner (`prefork`) does the same in `become`, without the exec:
ipykernel and the lesson's imports are loaded already, and its capabilities are dropped at
once instead of at the exec. Before it becomes ipykernel, it forks the artifact checks' warm
server (`autograder.artifacts.forkserver.prestart`), which then need not import scikit-learn.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from autograder.grading import sandbox


def matplotlib_cache() -> dict[str, bytes]:
    """The font cache, read now: a private empty cache would be rebuilt by every kernel."""
    base = os.environ.get("MPLCONFIGDIR") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib")
    try:
        return {p.name: p.read_bytes() for p in Path(base).glob("fontlist-*.json")}
    except OSError:
        return {}


def prepare(argv: list[str], *, now: bool = False) -> list[str]:
    """Hide, drop privileges, report; returns ipykernel's arguments (`-f CONNECTION_FILE`,
    moved where the hidden kernel can still read it). `now`: see `sandbox.drop_privileges`."""
    spec = json.loads(Path(argv[0]).read_text())
    args = list(argv[1:])
    connection = Path(args[args.index("-f") + 1]) if "-f" in args else None
    connection_text = connection.read_text() if connection else None
    fonts = matplotlib_cache()
    report = os.open(spec["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    status = sandbox.hide([Path(p) for p in spec["hide"]], keep=Path.cwd(),
                          hide_in_keep=("*.ipynb",))
    files = status.files
    if status.hidden:
        # The real /tmp and home are out of reach now: private, writable stand-ins.
        private = Path("/tmp/kernel")
        (private / "matplotlib").mkdir(parents=True)
        for name, data in fonts.items():
            (private / "matplotlib" / name).write_bytes(data)
        os.environ.update(MPLCONFIGDIR=str(private / "matplotlib"),
                          IPYTHONDIR=str(private / "ipython"))
        if connection_text is not None:
            moved = private / connection.name
            moved.write_text(connection_text)
            args[args.index("-f") + 1] = str(moved)
        files += ", " + sandbox.drop_privileges(now=now)
    os.write(report, json.dumps({"files": files, "files_hidden": status.hidden,
                                 "prefork": now}).encode())
    os.close(report)
    return args


def main(argv: list[str]) -> None:
    args = prepare(argv)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args])


def become(argv: list[str]) -> None:
    """This process, forked from a runner that never ran student code, becomes the kernel, as
    `python -m ipykernel_launcher` would be in its folder. Never returns."""
    import ipykernel_launcher
    from ipykernel import kernelapp

    code = 1
    try:
        args = prepare(argv, now=True)
        forkserver = sys.modules.get("autograder.artifacts.forkserver")
        if forkserver is not None:  # readied by the zygote: the lesson checks saved files
            forkserver.prestart()  # before any student code exists in this process
        sys.argv = [ipykernel_launcher.__file__, *args]
        sys.path[0] = os.getcwd()  # what `python -m` puts first: the notebook's folder
        kernelapp.launch_new_instance(argv=args)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
