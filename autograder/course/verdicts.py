"""Verdicts computed from the table beside them, and re-checked from the executed notebook.

A sentence such as "protocol 0 is larger than protocol 5 here" must follow from the numbers
the learner sees, in the same run. So a lesson never prints such a sentence itself; it asks
the table:

    protocols.verdict("size[0] > size[5]",
                      holds=f"Protocol 0 is {units.ratio(r)} the size of protocol 5 here.",
                      fails="Protocol 0 is not larger than protocol 5 on this machine.")

`rule` is a Python expression over the table's raw values: each column is a pandas Series
named like the column (non-word characters become `_`: "dump time" -> `dump_time`), indexed
like the table, so `size[0]` is the size in the row labelled 0. `abs`, `min`, `max`, `all`,
`any`, `len`, `sum` and `round` are available. The verdict shows the text for the outcome,
and its output's metadata records the rule, both texts, the outcome and the table's digest.
`autograder.course.guard.verdict_problems(notebook)` later finds that table's own output in the
executed notebook, evaluates the rule again on the values stored there, and reports any verdict
whose text does not match, or whose table was never shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from autograder.course.tables import METADATA_KEY

if TYPE_CHECKING:
    from autograder.course.tables import Table

__all__ = ["Verdict", "evaluate"]

_SAFE_BUILTINS = {f.__name__: f for f in (abs, min, max, all, any, len, sum, round)}


def column_names(columns: list[str]) -> dict[str, str]:
    """Python names for table columns: 'dump time (s)' -> 'dump_time_s'."""
    names = {}
    for column in columns:
        name = re.sub(r"\W+", "_", str(column)).strip("_")
        if not name.isidentifier():
            name = f"c_{name}"
        names[column] = name
    return names


def evaluate(rule: str, record: dict[str, Any]) -> bool:
    """The truth of `rule` over a table record (see tables.table_record)."""
    index = pd.Index(record["index"])
    names = column_names(record["columns"])
    namespace: dict[str, Any] = {"__builtins__": _SAFE_BUILTINS}
    for position, column in enumerate(record["columns"]):
        values = [row[position] for row in record["rows"]]
        namespace[names[column]] = pd.Series(values, index=index, dtype=_dtype(values))
    try:
        outcome = eval(compile(rule, "<verdict rule>", "eval"), namespace)  # noqa: S307 - authors' rules
    except Exception as exc:
        raise ValueError(f"verdict rule {rule!r} failed on its table "
                         f"(columns: {', '.join(names.values())}): {type(exc).__name__}: {exc}"
                         ) from None
    if isinstance(outcome, pd.Series):
        raise ValueError(f"verdict rule {rule!r} gives a column, not True or False: "
                         "wrap it in all(...) or any(...)")
    return bool(outcome)


def _dtype(values: list[Any]) -> str | None:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "float64"  # None becomes NaN, so comparisons with a missing value are False
    return None


@dataclass(frozen=True)
class Verdict:
    """A sentence chosen by a rule over a table; shows as text, records itself in metadata."""

    rule: str
    holds: bool
    text: str
    if_holds: str
    if_fails: str
    table: str  # the table's digest

    @classmethod
    def about(cls, table: Table, rule: str, holds: str, fails: str) -> Verdict:
        outcome = evaluate(rule, table.record)
        return cls(rule, outcome, holds if outcome else fails, holds, fails,
                   table.record["digest"])

    def __str__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, str], dict[str, Any]]:
        record = {"rule": self.rule, "holds": self.holds, "text": self.text,
                  "if_holds": self.if_holds, "if_fails": self.if_fails, "table": self.table}
        return {"text/plain": self.text}, {METADATA_KEY: {"verdict": record}}
