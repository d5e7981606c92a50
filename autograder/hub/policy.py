"""The instructor's say over grading on submit, per assignment: COURSE/autograde.toml.

    [default]
    grade_on_submit = true

    [assignments."01-pickle"]
    grade_on_submit = false                  # submissions wait for the instructor, as usual

    [assignments."02-joblib"]
    feedback_after = 2026-12-01T09:00:00Z    # graded at once, feedback released from then on

The service reads the file again whenever it changes; a file it cannot read keeps the last
good settings and is reported once in the hub's log.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

FILE = "autograde.toml"
KEYS = {"grade_on_submit", "feedback_after"}


class PolicyError(ValueError):
    """autograde.toml cannot be used as written (one line)."""


@dataclass(frozen=True)
class Policy:
    grade_on_submit: bool = True
    feedback_after: float | None = None  # Unix time; None: release at once

    def hold_until(self, now: float) -> float | None:
        return self.feedback_after if self.feedback_after and self.feedback_after > now else None


@dataclass(frozen=True)
class Policies:
    default: Policy = Policy()
    assignments: dict[str, Policy] = field(default_factory=dict)

    def of(self, assignment: str) -> Policy:
        return self.assignments.get(assignment, self.default)


def _when(value, where: str) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC).timestamp()
    raise PolicyError(f"{where}: feedback_after must be a TOML date or date-time, "
                      f"not {value!r}")


def _policy(table, base: Policy, where: str) -> Policy:
    if not isinstance(table, dict):
        raise PolicyError(f"{where}: expected a table")
    unknown = set(table) - KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    on = table.get("grade_on_submit", base.grade_on_submit)
    if not isinstance(on, bool):
        raise PolicyError(f"{where}: grade_on_submit must be true or false")
    after = (_when(table["feedback_after"], where) if "feedback_after" in table
             else base.feedback_after)
    return Policy(on, after)


def parse(text: str, where: str = FILE) -> Policies:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(data) - {"default", "assignments"}
    if unknown:
        raise PolicyError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    default = _policy(data.get("default", {}), Policy(), f"{where} [default]")
    assignments = data.get("assignments", {})
    if not isinstance(assignments, dict):
        raise PolicyError(f"{where}: [assignments] must be a table of tables")
    return Policies(default, {name: _policy(table, default, f"{where} [assignments.{name}]")
                              for name, table in assignments.items()})


class PolicyFile:
    """COURSE/autograde.toml, read again when it changes; the last good version otherwise."""

    def __init__(self, path: Path):
        self.path, self.stamp, self.current = Path(path), None, Policies()
        self.error: str | None = None

    def get(self) -> Policies:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            self.stamp, self.current, self.error = None, Policies(), None
            return self.current
        if stamp != self.stamp:
            self.stamp = stamp
            try:
                self.current, self.error = parse(self.path.read_text(), str(self.path)), None
            except (PolicyError, OSError, UnicodeDecodeError) as exc:
                self.error = str(exc)
        return self.current
