"""The benchmark suite behind `autograder bench` (`make bench`): run sections, write reports.

`run` runs the sections in order (grading, artifacts, course, serialization, formats, setup,
hub, cluster), prints progress to stderr, then writes the markdown report, its plot
(`images/<name>.png` next to the report) and the same figures as data (`<name>.json`), which
the generated pages quote (the format guide, the claims ledger: `autograder.pages`). A run of
some sections keeps the other sections' data from the previous JSON, each with the time it was
measured. A section that fails becomes a one-line note in the report and the others still
run. Quick mode (tiny inputs, to check that everything runs) writes to a temporary folder
unless `out` is given, so it never overwrites the real results. It returns 0 when every
section ran, 1 when one failed (the report is written either way).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.common.text import error_line
from bench.core import Section, describe_machine, plot, progress, render, results

SECTIONS = ("grading", "artifacts", "course", "serialization", "formats", "setup", "hub",
            "cluster")
TITLES = {"grading": "Grading throughput", "cluster": "Grading on a cluster",
          "artifacts": "Artifact checks",
          "course": "Course execution", "serialization": "Serialization throughput",
          "formats": "Format guide figures", "setup": "Setup",
          "hub": "Grade on submit (JupyterHub)"}
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
QUICK_OUT = Path(tempfile.gettempdir()) / "bench-quick" / "benchmarks.md"


def run_section(key: str, quick: bool) -> tuple[Section, bool]:
    """(the section, whether it ran); never raises: a failure is the section's one note."""
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{key}")
    except ImportError as exc:
        return Section(key, TITLES[key], "", [], [f"Not run: `bench.{key}` cannot be imported "
                                                  f"({error_line(exc)})."]), False
    try:
        section = module.run(quick=quick)
    except Exception as exc:  # one broken section must not cost the others
        why = error_line(exc)
        return Section(key, TITLES[key], "", [], [f"The section failed after "
                                                  f"{time.perf_counter() - start:.0f} s: "
                                                  f"{why}"], time.perf_counter() - start), False
    if not section.seconds:
        section.seconds = time.perf_counter() - start
    return section, True


def plot_path(out: Path) -> Path:
    return out.parent / "images" / f"{out.stem}.png"


def run(*, only=(), quick: bool = False, out: Path | None = None, command: str = "") -> int:
    """Run the sections named in `only` (all by default) and write the report to `out`;
    `command` is how it was started, as the report shows it."""
    keys = [key for key in SECTIONS if not only or key in only]
    machine = describe_machine()
    started = datetime.now(UTC)
    start = time.perf_counter()
    sections, failed = [], []
    for key in keys:
        progress(f"{key}: starting")
        section, ok = run_section(key, quick)
        sections.append(section)
        if not ok:
            failed.append(key)
            progress(f"{key}: FAILED: {section.notes[0]}")
        else:
            progress(f"{key}: done in {section.seconds:.0f} s")
    total = time.perf_counter() - start
    machine = dataclasses.replace(machine, load_after=os.getloadavg())
    out = Path(out or (QUICK_OUT if quick else DEFAULT_OUT)).resolve()
    image = plot_path(out)
    try:
        plot(sections, image)
        link = os.path.relpath(image, out.parent)
    except Exception as exc:  # the report is worth writing without its plot
        progress(f"plot: not drawn: {error_line(exc)}")
        link = None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(sections, machine, command=command, total_seconds=total,
                          when=started, plot=link, quick=quick), encoding="utf-8")
    data = results(sections, machine, command=command, total_seconds=total, when=started,
                   quick=quick)
    write_results(out.with_suffix(".json"), data)
    times = ", ".join(f"{s.key} {s.seconds:.0f} s" for s in sections)
    shown = os.path.relpath(out) if out.is_relative_to(Path.cwd()) else str(out)
    print(f"bench: wrote {shown} in {total:.0f} s ({times})"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def write_results(path: Path, data: dict) -> None:
    """Write the run's data; sections this run did not measure come from the previous file,
    each marked with the run that measured it."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    ran = {section["key"] for section in data["sections"]}
    for section in data["sections"]:
        section["started"] = data["started"]
    kept = [{**section, "started": section.get("started", previous.get("started", ""))}
            for section in previous.get("sections", []) if section["key"] not in ran]
    data["sections"] = sorted(data["sections"] + kept, key=lambda s: (
        SECTIONS.index(s["key"]) if s["key"] in SECTIONS else len(SECTIONS)))
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
