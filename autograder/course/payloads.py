"""Lesson 05's contained attacks: a payload box, proof that nothing else changed, hand-written
pickle programs, and the two scanners' command lines.

    from autograder.course import payloads

    box = payloads.Box(ARTIFACTS / "payload_box")   # the only place a payload may write
    command = box.command("trojan")                 # a shell line that writes box/trojan.txt
    run = box.run(lambda: pickle.load(f))           # what loading did, and what it touched
    run.in_box, run.changed_outside                 # ("trojan.txt",), ()

    program = payloads.craft_call("posix", "system", command)   # a pickle program by hand
    print(payloads.annotated_dis(program))          # pickletools.dis, import and call marked
    payloads.picklescan(path)                       # (exit code, the line that matters)
    payloads.inspect(path)                          # (exit code, verdict, reason)

Every payload of the lesson writes one small text file inside the box and nothing else. `Box.run`
empties the box, snapshots every other file under the notebook's folder (size and modification
time), runs the load, and reports what appeared in the box and which other files changed, so
the lesson can show that a demonstration touched nothing else.
"""

from __future__ import annotations

import io
import json
import pickletools
import shlex
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.common import text
from autograder.course import lesson

__all__ = ["Box", "Contained", "annotated_dis", "craft_call", "inspect", "picklescan", "text_op"]

# What the `picklescan` command runs (its console script), with this Python: `python -m
# picklescan` drops the exit code in version 1.0.5, so it would pass every file.
PICKLESCAN = [sys.executable, "-c", "import sys; from picklescan.cli import main; sys.exit(main())"]
MARKS = {"STACK_GLOBAL": "◀ import module.name from the two strings above",
         " GLOBAL": "◀ import: module and name are in the opcode itself",
         "REDUCE": "◀ call it with the tuple on the stack"}


@dataclass(frozen=True)
class Contained:
    """What one load did: its result, what its payload wrote in the box, what else it changed."""

    value: Any
    outcome: str
    in_box: tuple[str, ...]
    changed_outside: tuple[str, ...]


class Box:
    """A folder payloads may write to, and a watch on every other file under `root`."""

    def __init__(self, folder: str | Path, root: str | Path | None = None) -> None:
        self.folder = Path(folder).resolve()
        self.root = Path.cwd() if root is None else Path(root)

    def command(self, tag: str) -> str:
        """A shell command that writes one line into box/<tag>.txt, and nothing else."""
        target = shlex.quote(str(self.folder / f"{tag}.txt"))
        return f"echo 'written by a payload while loading' > {target}"

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """(size, mtime) of every file under root, except the box and notebooks (an editor may
        autosave a notebook at any time)."""
        state = {}
        for path in self.root.rglob("*"):
            if self.folder in path.resolve().parents or path.suffix == ".ipynb" or (
                    ".ipynb_checkpoints" in path.parts):
                continue
            try:
                if path.is_file():
                    stat = path.stat()
                    state[str(path.relative_to(self.root))] = (stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue  # vanished while we looked
        return state

    def fresh(self) -> dict[str, tuple[int, int]]:
        """Empty the box; return a snapshot of everything else, to compare with afterwards."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        return self.snapshot()

    def contents(self) -> list[str]:
        return sorted(path.name for path in self.folder.iterdir()) if self.folder.exists() else []

    def changed_since(self, before: dict[str, tuple[int, int]]) -> list[str]:
        after = self.snapshot()
        names = before.keys() | after.keys()
        return sorted(name for name in names if before.get(name) != after.get(name))

    def run(self, load: Callable[[], Any]) -> Contained:
        """Run `load()` with an empty box, and report everything it touched."""
        before = self.fresh()
        value, outcome = None, ""
        try:
            value = load()
            name = type(value).__name__
            outcome = f"returned {'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
        except Exception as error:  # the refusal is the result we show
            outcome = lesson.refusal(error)
        return Contained(value, outcome, tuple(self.contents()), tuple(self.changed_since(before)))


def text_op(value: str) -> bytes:
    """BINUNICODE: a string on the pickle stack (4-byte little-endian length, then UTF-8)."""
    raw = value.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def craft_call(module: str, name: str, *args: str) -> bytes:
    """A protocol-4 pickle program written by hand: STACK_GLOBAL module.name, then REDUCE it
    with string arguments."""
    arguments = b"(" + b"".join(text_op(arg) for arg in args) + b"t"  # MARK, the strings, TUPLE
    return b"\x80\x04" + text_op(module) + text_op(name) + b"\x93" + arguments + b"R."


def annotated_dis(data: bytes) -> str:
    """`pickletools.dis` of `data`, with the opcodes that import and call marked."""
    listing = io.StringIO()
    pickletools.dis(data, out=listing)
    lines = []
    for line in listing.getvalue().splitlines():
        mark = next((note for op, note in MARKS.items() if op in line), "")
        lines.append(f"{line:<70}{mark}" if mark else line)
    return "\n".join(lines)


def picklescan(path: str | Path, *, strict: bool = False,
               command: list[str] | None = None) -> tuple[int, str]:
    """(exit code, the line that matters) from the picklescan command line."""
    command = [*(command or PICKLESCAN), "-p", str(path)] + (["--strict"] if strict else [])
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    flagged = ("FOUND", "ERROR", "WARNING")
    detail = next((line for line in lines if any(word in line for word in flagged)), "")
    detail = detail.replace(str(Path(path).resolve()), Path(path).name)
    return proc.returncode, text.first_line(
        detail or next((line for line in lines if line.startswith("Infected")), ""), limit=1000)


def inspect(path: str | Path) -> tuple[int, str, str]:
    """(exit code, verdict, first reason) from `python -m autograder inspect --json`."""
    proc = subprocess.run([sys.executable, "-m", "autograder", "inspect", "--json", str(path)],
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    reasons = report.get("findings") or [report.get("problem") or ""]
    return proc.returncode, str(report["verdict"]), text.first_line(reasons[0] or "", limit=1000)
