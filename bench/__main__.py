"""`python -m bench [--only NAME ...] [--quick] [--out docs/benchmarks.md]`

Runs the benchmark sections in order (grading, artifacts, course, serialization, setup, hub),
prints progress to stderr, then writes the markdown report and its plot (`images/<name>.png`
next to the report). A section that fails becomes a one-line note in the report and the others
still run. `--quick` (tiny inputs, to check that everything runs) writes to a temporary folder
unless `--out` is given, so it never overwrites the real results. Exits 0 when every section
ran, 1 when one failed (the report is written either way), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from autograder.common.paths import ROOT
from bench.core import (
    Section,
    describe_error,
    describe_machine,
    plot,
    progress,
    render,
)

SECTIONS = ("grading", "artifacts", "course", "serialization", "setup", "hub")
TITLES = {"grading": "Grading throughput", "artifacts": "Artifact checks",
          "course": "Course execution", "serialization": "Serialization throughput",
          "setup": "Setup", "hub": "Grade on submit (JupyterHub)"}
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
QUICK_OUT = Path(tempfile.gettempdir()) / "bench-quick" / "benchmarks.md"


def run_section(key: str, quick: bool) -> tuple[Section, bool]:
    """(the section, whether it ran); never raises: a failure is the section's one note."""
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{key}")
    except ImportError as exc:
        return Section(key, TITLES[key], "", [], [f"Not run: `bench.{key}` cannot be imported "
                                                  f"({describe_error(exc)})."]), False
    try:
        section = module.run(quick=quick)
    except Exception as exc:  # one broken section must not cost the others
        why = describe_error(exc)
        return Section(key, TITLES[key], "", [], [f"The section failed after "
                                                  f"{time.perf_counter() - start:.0f} s: "
                                                  f"{why}"], time.perf_counter() - start), False
    if not section.seconds:
        section.seconds = time.perf_counter() - start
    return section, True


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description=" ".join(__doc__.split("\n\n")[1].split()))
    parser.add_argument("--only", nargs="+", choices=SECTIONS, metavar="NAME",
                        help=f"run only these sections ({', '.join(SECTIONS)})")
    parser.add_argument("--quick", action="store_true",
                        help="tiny inputs, few repetitions: checks that the benchmark runs")
    parser.add_argument("--out", type=Path, default=None,
                        help="the markdown report (default docs/benchmarks.md; with --quick, "
                             f"{QUICK_OUT}, so a check never overwrites the real results)")
    return parser.parse_args(argv)


def plot_path(out: Path) -> Path:
    return out.parent / "images" / f"{out.stem}.png"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    keys = [key for key in SECTIONS if not args.only or key in args.only]
    machine = describe_machine()
    started = datetime.now(UTC)
    start = time.perf_counter()
    sections, failed = [], []
    for key in keys:
        progress(f"{key}: starting")
        section, ok = run_section(key, args.quick)
        sections.append(section)
        if not ok:
            failed.append(key)
            progress(f"{key}: FAILED: {section.notes[0]}")
        else:
            progress(f"{key}: done in {section.seconds:.0f} s")
    total = time.perf_counter() - start
    machine = dataclasses.replace(machine, load_after=os.getloadavg())
    out = (args.out or (QUICK_OUT if args.quick else DEFAULT_OUT)).resolve()
    image = plot_path(out)
    try:
        plot(sections, image)
        link = os.path.relpath(image, out.parent)
    except Exception as exc:  # the report is worth writing without its plot
        progress(f"plot: not drawn: {describe_error(exc)}")
        link = None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(sections, machine, command=shlex.join(["python", "-m", "bench", *argv]),
                          total_seconds=total, when=started, plot=link, quick=args.quick),
                   encoding="utf-8")
    times = ", ".join(f"{s.key} {s.seconds:.0f} s" for s in sections)
    shown = os.path.relpath(out) if out.is_relative_to(Path.cwd()) else str(out)
    print(f"bench: wrote {shown} in {total:.0f} s ({times})"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
