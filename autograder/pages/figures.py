"""The measured figures the pages quote: docs/benchmarks.json, written by `autograder bench`.

    results = Results.load()
    size = results.figure("formats.pickle-size")     # a Figure, or None if not measured
    size.text                                         # "412 KB": common.units, as everywhere
    results.fact("formats.pickle-runs-payload")      # True: an observation, not a number

A reference is "SECTION.KEY" (a measurement's or a fact's key in its section). `results.used`
lists the figures a page asked for, so a test can check that every figure the page shows is one
of them. A figure the course did not measure is written with `quoted(text, source_url)`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.common import units
from autograder.common.paths import ROOT

RESULTS = ROOT / "docs" / "benchmarks.json"
NOT_MEASURED = "not measured"
# A number with a unit, as the pages write figures; what the tracing test looks for.
# "2 min 05 s" and "-4.20 ms" are one figure each, as `units` writes them.
FIGURE = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?\s?"
                    r"(?:×|%|ns|µs|ms|s|min(?: \d\d s)?|bytes|KB|MB|GB|TB|KiB|MiB|GiB|MB/s|GB/s)"
                    r"(?![\w/])")
QUOTED = re.compile(r"\[quoted: [^\]]*\]\([^)]*\)")


@dataclass(frozen=True)
class Figure:
    ref: str
    value: float
    unit: str
    n: int
    section: str  # the section's title, for "where it came from"

    @property
    def text(self) -> str:
        value, unit = self.value, self.unit
        if unit == "s":
            return units.duration(value)
        if unit == "bytes":
            return units.size(value)
        if unit == "×":
            return units.ratio(value)
        if unit == "":
            small = value and abs(value) < 1e-3 and math.isfinite(value)
            return f"{value:.1e}" if small else units.plain(value)
        return f"{units.number(value)} {unit}"


@dataclass
class Results:
    data: dict
    used: list[Figure] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path = RESULTS) -> Results:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def _section(self, ref: str) -> tuple[dict, str]:
        section_key, _, key = ref.partition(".")
        for section in self.data.get("sections", []):
            if section["key"] == section_key:
                return section, key
        return {}, key

    def figure(self, ref: str) -> Figure | None:
        section, key = self._section(ref)
        for m in section.get("measurements", []):
            if m.get("key") == key:
                figure = Figure(ref, float(m["median"]), m["unit"], int(m["n"]), section["title"])
                self.used.append(figure)
                return figure
        return None

    def text(self, ref: str) -> str:
        """The figure as a page shows it, or "not measured"."""
        figure = self.figure(ref)
        return figure.text if figure else NOT_MEASURED

    def fact(self, ref: str):
        section, key = self._section(ref)
        return section.get("facts", {}).get(key)

    def run(self) -> str:
        """Which run measured the figures: command, date, machine."""
        machine = self.data.get("machine", {})
        ram = Figure("machine.ram_gib", float(machine.get("ram_gib", "nan")), "GiB", 1, "machine")
        self.used.append(ram)
        return (f"`{self.data.get('command', 'autograder bench')}`, started "
                f"{self.data.get('started', '?')}, on {machine.get('cpu', '?')} "
                f"({machine.get('cores', '?')} cores, {ram.text} of memory, "
                f"{machine.get('os', '?')}; {machine.get('packages', '')})")

    def started(self, section_key: str) -> str:
        section, _ = self._section(f"{section_key}.")
        return section.get("started", self.data.get("started", "?"))


def quoted(text: str, source: str) -> str:
    """A figure the course did not measure, with its source."""
    return f"[quoted: {text}]({source})"


def untraced(page: str, used: list[Figure]) -> list[str]:
    """Figures in `page` that are not the text of any figure the page looked up."""
    known = {figure.text for figure in used}
    body = QUOTED.sub(" ", page)
    body = re.sub(r"\[[^\]]*\]\([^)]*\)", " ", body)  # link texts are labels (headings)
    body = re.sub(r"“[^”]*”", " ", body)  # the syllabus's own words, quoted
    return [match.group(0) for match in FIGURE.finditer(body)
            if match.group(0) not in known]
