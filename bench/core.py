"""What every benchmark section shares: the result types, their statistics, timing helpers,
a description of the machine, and the markdown report.

A section module has `run(quick: bool = False) -> Section`. Each `Measurement` keeps its raw
values, one per repetition; the report shows the median, the min–max spread and n, never a
single figure, and judges a goal on the median.

Helpers for sections: `run_command` (time a command to completion; a failure is a one-line
`problem`, never an exception), `python_env` (the environment for child Pythons), `progress`
(to stderr), `MB`. Numbers are written with `autograder.common.units`, one-line reasons with
`autograder.common.text.error_line`.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from autograder.common.paths import venv_environment
from autograder.common.text import last_line
from autograder.common.units import DASH, number, plain, ratio, size

MB = 1e6  # throughput in decimal megabytes per second, like disks and networks
AUTOGRADER = str(Path(sys.executable).with_name("autograder"))  # the course's command line


@dataclass(frozen=True)
class Measurement:
    """One row of a section's table: a quantity measured `n` times."""

    name: str  # row label, e.g. "ONNX verify (fresh process)"
    unit: str  # "s", "MB/s", "×", "% of memcpy"
    values: tuple[float, ...]  # one per repetition, raw
    _: KW_ONLY
    key: str = ""  # stable id in benchmarks.json, for pages that quote this figure
    goal: float | None = None  # threshold, in `unit`
    higher_is_better: bool = False  # goal direction: value >= goal if True, else value <= goal
    note: str = ""  # one short line shown in the table

    def __post_init__(self):
        values = tuple(float(v) for v in self.values)
        if not values:
            raise ValueError(f"measurement {self.name!r} has no values")
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"measurement {self.name!r} has a non-finite value: {values}")
        object.__setattr__(self, "values", values)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def spread(self) -> str:
        """'min–max' in the row's unit, or '—' for a single value (nothing to spread)."""
        if self.n == 1:
            return DASH
        return f"{number(self.low)}–{with_unit(self.high, self.unit)}"

    @property
    def met(self) -> bool | None:
        """Whether the median meets the goal; None when there is no goal."""
        if self.goal is None:
            return None
        return self.median >= self.goal if self.higher_is_better else self.median <= self.goal

    @property
    def goal_text(self) -> str:
        if self.goal is None:
            return DASH
        return f"{'≥' if self.higher_is_better else '≤'} {with_unit(self.goal, self.unit)}"


@dataclass
class Section:
    """One part of the report: what was measured and how, the rows, and the caveats."""

    key: str  # "grading", "artifacts", "course", "setup", "serialization"
    title: str
    intro: str  # markdown: what was measured, how, and why the method is fair
    measurements: list[Measurement]
    notes: list[str] = field(default_factory=list)  # markdown bullets: caveats, exclusions
    seconds: float = 0.0  # how long the section took
    facts: dict = field(default_factory=dict)  # observations that are not numbers: key -> value
    plotted: bool = True  # False for sections with too many rows for the summary plot

    @property
    def goals(self) -> tuple[int, int]:
        """(met, with a goal)."""
        judged = [m.met for m in self.measurements if m.met is not None]
        return sum(judged), len(judged)


# ---------------------------------------------------------------------- numbers


def with_unit(value: float, unit: str) -> str:
    """A measurement's value next to its unit (the unit of a table row, e.g. "% of memcpy")."""
    if unit == "×":
        return ratio(value)
    if unit == "bytes":
        return size(value)
    return f"{number(value)} {unit}" if unit else plain(value)


# ---------------------------------------------------------------------- running things


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the final summary."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True, kw_only=True)
class Timed:
    """A command that was run and timed; `problem` is one line when it failed, else ''."""

    seconds: float
    returncode: int | None
    stdout: str
    stderr: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def run_command(command: list[str], *, timeout: float = 600, cwd: Path | None = None,
                env: dict | None = None, expect: tuple[int, ...] = (0,)) -> Timed:
    """Run `command` to completion and time its wall clock; never raises for the command's own
    failure (a missing program, a timeout or an unexpected exit code is `problem`)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return Timed(seconds=time.perf_counter() - start, returncode=None, stdout="",
                     stderr="", problem=f"`{Path(command[0]).name}` took longer than "
                                        f"{timeout:g} s")
    except OSError as exc:
        return Timed(seconds=0.0, returncode=None, stdout="", stderr="",
                     problem=f"cannot run `{command[0]}`: {exc.strerror or exc}")
    seconds = time.perf_counter() - start
    problem = ""
    if done.returncode not in expect:
        why = last_line(done.stderr) or last_line(done.stdout) or "no output"
        problem = f"`{Path(command[0]).name}` exited with {done.returncode}: {why}"
    return Timed(seconds=seconds, returncode=done.returncode, stdout=done.stdout,
                 stderr=done.stderr, problem=problem)


def python_env() -> dict:
    """The environment for child Pythons: this venv's (`venv_environment`), without PYTHON*
    variables that would change what a fresh interpreter imports."""
    return {k: v for k, v in venv_environment().items() if not k.startswith("PYTHON")}


# ---------------------------------------------------------------------- the machine


@dataclass(frozen=True, kw_only=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    os: str
    python: str
    packages: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] | None = None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        pass
    return platform.platform()


PACKAGES = ("torch", "scikit-learn", "numpy", "onnxruntime", "nbgrader")


def package_versions(names=PACKAGES) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def ram_gb() -> float:
    try:
        import psutil

        return psutil.virtual_memory().total / 1024**3
    except ImportError:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def describe_machine() -> Machine:
    return Machine(cpu=cpu_model(), cores=os.cpu_count() or 1, ram_gb=ram_gb(), os=os_name(),
                   python=f"{platform.python_implementation()} {platform.python_version()}",
                   packages=package_versions(), load_before=os.getloadavg())


# ---------------------------------------------------------------------- the report


def _load(load: tuple[float, float, float] | None) -> str:
    return DASH if load is None else " / ".join(f"{x:.2f}" for x in load)


def markdown_table(measurements: list[Measurement]) -> list[str]:
    lines = ["| Measurement | Median | Spread (min–max) | n | Goal | Met | Note |",
             "|---|---:|---:|---:|---|:---:|---|"]
    for m in measurements:
        met = {True: "✓", False: "✗", None: DASH}[m.met]
        note = m.note.replace("|", "\\|")
        lines.append(f"| {m.name} | {with_unit(m.median, m.unit)} | {m.spread} | {m.n} "
                     f"| {m.goal_text} | {met} | {note} |")
    return lines


def render(sections: list[Section], machine: Machine, *, command: str, total_seconds: float,
           when: datetime | None = None, plot: str | None = None, quick: bool = False) -> str:
    """The whole markdown report."""
    when = when or datetime.now(UTC)
    out = ["# Benchmarks", ""]
    if quick:
        out += ["> **Quick mode:** tiny inputs and few repetitions, to check that the "
                "benchmark runs. These figures say nothing about the course.", ""]
    out += [f"Started on {when:%Y-%m-%d %H:%M} UTC by `{command}`, in "
            f"{total_seconds / 60:.1f} min of wall time ({total_seconds:.0f} s). Every figure "
            "below comes from that one run; rerun the command to measure your own machine. "
            "Each row shows the median of n repetitions and their spread (min–max); a goal is "
            "judged on the median.", "",
            "| Machine | |", "|---|---|",
            f"| CPU | {machine.cpu} |",
            f"| Cores | {machine.cores} |",
            f"| RAM | {machine.ram_gb:.1f} GiB |",
            f"| OS | {machine.os} |",
            f"| Python | {machine.python} |",
            f"| Packages | {machine.packages} |",
            f"| Load average (1/5/15 min) before | {_load(machine.load_before)} |",
            f"| Load average (1/5/15 min) after | {_load(machine.load_after)} |", "",
            "## Summary", "",
            "| Section | Goals met | Time |", "|---|---:|---:|"]
    for section in sections:
        met, judged = section.goals
        goals = f"{met} of {judged}" if judged else "no goals"
        if not section.measurements:
            goals = "not measured"
        out.append(f"| [{section.title}](#{anchor(section.title)}) | {goals} "
                   f"| {section.seconds:.0f} s |")
    out.append("")
    if plot:
        out += [f"![Medians with min–max spread, one panel per section and unit]({plot})", "",
                f"The plot ([`{plot}`]({plot})) shows the same medians, with bars from the "
                "minimum to the maximum and goals as dashed lines.", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.intro:
            out += [section.intro.strip(), ""]
        if section.measurements:
            out += markdown_table(section.measurements) + [""]
        if section.facts:
            out += ["| Observed | |", "|---|---|"]
            out += [f"| {key} | {fact_text(value)} |" for key, value in section.facts.items()]
            out.append("")
        if section.notes:
            out += [f"- {note}" for note in section.notes] + [""]
        out += [f"*Section time: {section.seconds:.0f} s.*", ""]
    return "\n".join(out)


def fact_text(value) -> str:
    """A fact as a table cell: yes/no, a list joined, text with its pipes escaped."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value)) or DASH
    return str(value).replace("|", "\\|")


def results(sections: list[Section], machine: Machine, *, command: str, total_seconds: float,
            when: datetime, quick: bool) -> dict:
    """The run as data (docs/benchmarks.json): what the generated pages quote, by key."""
    return {
        "schema": 1, "command": command, "started": f"{when:%Y-%m-%d %H:%M} UTC",
        "seconds": round(total_seconds, 1), "quick": quick,
        "machine": {"cpu": machine.cpu, "cores": machine.cores,
                    "ram_gib": round(machine.ram_gb, 1), "os": machine.os,
                    "python": machine.python, "packages": machine.packages},
        "sections": [{"key": s.key, "title": s.title, "seconds": round(s.seconds, 1),
                      "notes": s.notes, "facts": s.facts,
                      "measurements": [{"key": m.key, "name": m.name, "unit": m.unit,
                                        "values": list(m.values), "median": m.median, "n": m.n}
                                       for m in s.measurements]}
                     for s in sections],
    }


def anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, spaces to hyphens, punctuation dropped."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


# ---------------------------------------------------------------------- the plot


def plot(sections: list[Section], path: Path) -> Path:
    """One horizontal bar panel per (section, unit): medians, min–max bars, dashed goals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for section in [s for s in sections if s.plotted]:
        units: dict[str, list[Measurement]] = {}
        for m in section.measurements:
            units.setdefault(m.unit, []).append(m)
        panels += [(section.title, unit, rows) for unit, rows in units.items()]
    if not panels:
        panels = [("No measurements", "", [])]
    heights = [max(1.2, 0.38 * len(rows) + 0.9) for _, _, rows in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, sum(heights)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (title, unit, rows) in zip(axes[:, 0], panels, strict=True):
        ax.set_title(f"{title} ({unit})" if unit else title, fontsize=10, loc="left")
        if not rows:
            ax.axis("off")
            continue
        y = list(range(len(rows)))[::-1]
        medians = [m.median for m in rows]
        errors = [[m.median - m.low for m in rows], [m.high - m.median for m in rows]]
        colours = ["#4c72b0" if m.met is None else "#55a868" if m.met else "#c44e52"
                   for m in rows]
        ax.barh(y, medians, xerr=errors, color=colours, capsize=3, height=0.6)
        for yy, m in zip(y, rows, strict=True):
            if m.goal is not None:
                ax.plot([m.goal, m.goal], [yy - 0.4, yy + 0.4], "k--", linewidth=1)
        labels = [f"{m.name.replace('`', '')} (n={m.n})" for m in rows]  # markdown in tables
        ax.set_yticks(y, labels, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
    fig.text(0.99, 0.002, "green: goal met · red: goal missed · blue: no goal · dashed: goal",
             ha="right", va="bottom", fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
