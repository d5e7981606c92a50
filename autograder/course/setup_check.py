"""Is this kernel ready for the course? The setup check of lesson 00.

    from autograder.course import setup_check

    report = setup_check.run(ARTIFACTS)   # every check, once
    report                                # a table: check, result, detail
    report.assert_ok()                    # AssertionError naming each failed check and its fix

It checks, on the machine the learner uses:
- Python 3.11 (the version the pins are tested on);
- the kernel runs in an environment of its own (the course's `.venv`, or a conda environment
  made from environment.yml), not a system Python that happens to import the course;
- every library pinned in requirements.txt is installed at its pinned version and imports;
- `check_artifact` saves, reloads and compares a small model in a fresh sandboxed process here;
- which walls the sandbox could build on this operating system (`CheckResult.isolation`
  against every `Layer`): absent walls are reported, not failed, since the static analysis
  refuses unsafe files everywhere.
"""

from __future__ import annotations

import importlib
import pickle
import re
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from autograder.common import units
from autograder.common.paths import ROOT
from autograder.common.text import error_line

__all__ = ["Check", "Report", "pins", "run"]

PYTHON = (3, 11)
FIX = "run `make lab` in the course folder and open the notebook from the JupyterLab it starts"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)")
# Distributions whose import name is not their own name with '-' as '_'.
IMPORT_NAMES = {"scikit-learn": "sklearn"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def table(self):
        import pandas as pd

        from autograder.course.tables import Table

        rows = [{"check": c.name, "passed": c.ok, "detail": c.detail} for c in self.checks]
        return Table(pd.DataFrame(rows).set_index("check"), {"passed": "flag", "detail": "text"},
                     title=f"Setup check: {units.count(len(self.checks))} checks in "
                           f"{units.duration(self.seconds)}")

    def assert_ok(self) -> None:
        assert self.ok, "; ".join(f"{c.name}: {c.detail} ({c.fix})" for c in self.failed)

    def _repr_mimebundle_(self, **kwargs):
        return self.table()._repr_mimebundle_(**kwargs)


def pins(requirements: Path = ROOT / "requirements.txt") -> dict[str, str]:
    """Distribution name -> pinned version, from requirements.txt's `name==version` lines."""
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line.strip()):
            found[match[1]] = match[2]
    return found


def _base(version: str) -> str:
    return version.split("+")[0]  # torch's "2.13.0+cpu" is the pinned CPU build of 2.13.0


def python_check() -> Check:
    found = ".".join(map(str, sys.version_info[:3]))
    return Check("Python", sys.version_info[:2] == PYTHON, found,
                 f"the course is tested on Python {'.'.join(map(str, PYTHON))}: {FIX}")


def environment_check(prefix: Path | None = None, base: Path | None = None) -> Check:
    """An environment of its own: a venv (prefix differs from the base Python's) or conda."""
    prefix = Path(prefix or sys.prefix).resolve()
    base = Path(base or sys.base_prefix).resolve()
    if prefix == (ROOT / ".venv").resolve():
        return Check("kernel environment", True, "the course's .venv")
    if (prefix / "conda-meta").is_dir():
        return Check("kernel environment", True, f"conda environment '{prefix.name}'")
    if prefix != base:
        return Check("kernel environment", True, f"virtual environment {prefix}")
    return Check("kernel environment", False, f"the system Python at {prefix}",
                 f"this kernel is not the course's environment: {FIX}")


def library_check(distribution: str, pinned: str) -> Check:
    """Installed at the pinned version, and importable."""
    try:
        installed = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return Check(distribution, False, f"not installed (pinned {pinned})", FIX)
    if _base(installed) != _base(pinned):
        return Check(distribution, False, f"{installed} installed, {pinned} pinned", FIX)
    module = IMPORT_NAMES.get(distribution, distribution.replace("-", "_"))
    try:
        importlib.import_module(module)
    except Exception as exc:  # any import failure is the learner's to see, on one line
        return Check(distribution, False, f"{installed}, but `import {module}` fails: "
                                          f"{error_line(exc)}", FIX)
    return Check(distribution, True, installed)


def checker_check(folder: Path) -> tuple[Check, tuple[str, ...]]:
    """Save a small model, let check_artifact reload it in the sandbox; and the walls it had."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from autograder.check import check_artifact

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    path = Path(folder) / "setup_check.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(model, f)
    result = check_artifact(path, model, X)
    detail = (f"reloaded in a fresh process and predicted identically "
              f"(load {units.duration(result.load_seconds)})" if result.ok else result.message)
    return (Check("check_artifact", result.ok, detail,
                  "the checker could not verify an honest file here: see the detail"),
            tuple(str(layer) for layer in result.isolation))


def layer_checks(had: tuple[str, ...]) -> list[Check]:
    """One row per wall the sandbox can build: present, or why its absence is acceptable."""
    from autograder.artifacts.sandbox import Layer

    out = []
    for layer in Layer:
        present = str(layer) in had
        detail = "present" if present else (
            "not available on this operating system; unsafe files are still refused "
            "before anything loads them")
        out.append(Check(f"sandbox: {layer}", True, detail))
    return out


def run(folder: Path = Path("artifacts")) -> Report:
    """Every check, once (a few seconds: it imports every pinned library)."""
    start = time.perf_counter()
    checks = [python_check(), environment_check()]
    checks += [library_check(name, pinned) for name, pinned in pins().items()]
    checker, had = checker_check(folder)
    checks.append(checker)
    checks += layer_checks(had)
    return Report(tuple(checks), time.perf_counter() - start)
