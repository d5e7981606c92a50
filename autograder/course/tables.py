"""Lesson tables: a DataFrame of raw measurements, shown with one unit per column.

    from autograder.course.tables import Table

    rows = [{"protocol": p, "size": len(data), "dump": seconds, ...} for ...]
    protocols = Table(pd.DataFrame(rows).set_index("protocol"),
                      {"size": "size", "dump": "duration", "load": "duration"},
                      title="Pickling the credit model")
    protocols                      # the last line of a cell: shows the table

Give raw values in base units (bytes, seconds, bytes per second, fractions for percentages);
the table picks the unit that reads best for each column and names it in the header
("size (KB)", "dump (ms)"), writes numbers with thousands separators and three significant
digits, and a dash where a value is missing (None or NaN). Column kinds:

    size, duration, rate   one unit per column, in the header (common.units.column_unit);
                           per cell instead when the table's values of that kind span more
                           than 3 orders of magnitude (1.7 KB next to 6.4 MB)
    ratio, percent         per cell: 3.50×, 15.4 %
    count, number          60,000; 0.0401 (three significant digits)
    text, flag             as written (never cut); yes/no
    (not listed)           bool -> flag, int -> count, float -> number, anything else -> text

`table.data` is the raw DataFrame, for computing with. A table's output carries its raw values
in the output's metadata, so tests can re-check what a lesson says about it (see verdicts).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from autograder.common import units

__all__ = ["KINDS", "Table", "spans_orders", "table_record"]

METADATA_KEY = "autograder"
UNIT_KINDS = ("size", "duration", "rate")
KINDS = (*UNIT_KINDS, "ratio", "percent", "count", "number", "text", "flag")
PER_CELL_ORDERS = 3  # a column spanning more than this many orders of magnitude: unit per cell
_CELL_FORMATS = {
    "size": units.size,
    "duration": units.duration,
    "rate": units.rate,
    "ratio": units.ratio,
    "percent": units.percent,
    "count": units.count,
    "number": units.number,
}


class Table:
    """Raw measurements (`data`) and how to show them (`kinds`: column -> kind)."""

    def __init__(self, data: pd.DataFrame, kinds: Mapping[str, str] | None = None, *,
                 title: str = "") -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"Table needs a pandas DataFrame, got {type(data).__name__}")
        self.data = data.copy()
        self.title = title
        kinds = dict(kinds or {})
        unknown = sorted(set(kinds) - set(map(str, data.columns)))
        if unknown:
            raise ValueError(f"Table has no column {', '.join(map(repr, unknown))}; "
                             f"its columns are {', '.join(map(repr, map(str, data.columns)))}")
        bad = {col: kind for col, kind in kinds.items() if kind not in KINDS}
        if bad:
            raise ValueError(f"unknown column kind(s) {bad}; use one of {', '.join(KINDS)}")
        self.kinds = {str(col): kinds.get(str(col)) or _guess(data[col])
                      for col in data.columns}

    # --- what is shown -------------------------------------------------------------------------

    @cached_property
    def shown(self) -> pd.DataFrame:
        """The table as text: formatted cells, headers with their units."""
        columns = {}
        per_cell = {kind for kind in UNIT_KINDS if spans_orders(
            [v for col in self.data.columns if self.kinds[str(col)] == kind
             for v in self.data[col].tolist()], PER_CELL_ORDERS)}
        for col in self.data.columns:
            kind = self.kinds[str(col)]
            values = self.data[col].tolist()
            if kind in UNIT_KINDS and kind not in per_cell:
                factor, unit = units.column_unit(kind, values)
                columns[f"{col} ({unit})"] = [
                    units.DASH if units.missing(v) else units.number(float(v) / factor)
                    for v in values]
            else:
                columns[str(col)] = [_cell(kind, v) for v in values]
        shown = pd.DataFrame(columns, index=[_cell("text", v) for v in self.data.index])
        shown.index.name = _index_name(self.data)
        return shown

    @property
    def _shows_index(self) -> bool:
        return not isinstance(self.data.index, pd.RangeIndex) or self.data.index.name is not None

    def to_text(self) -> str:
        lines = [self.title] if self.title else []
        shown = self.shown
        if self._shows_index:
            shown = shown.reset_index()
        lines.append(shown.to_string(index=False))
        return "\n".join(lines)

    def to_html(self) -> str:
        shown = self.shown.reset_index() if self._shows_index else self.shown
        numeric = [name for name, col in zip(self.shown.columns, self.data.columns, strict=True)
                   if self.kinds[str(col)] not in ("text", "flag")]
        texts = [name for name in shown.columns if name not in numeric]
        styler = (shown.style.hide(axis="index")
                  .set_table_attributes('class="course-table"')
                  .set_properties(subset=numeric, **{"text-align": "right"})
                  .set_properties(subset=texts, **{"text-align": "left"})
                  .set_table_styles([{"selector": "th", "props": "text-align: left"}])
                  .format(escape="html")
                  .format_index(escape="html", axis=1))
        if self.title:
            styler = styler.set_caption(self.title)
        return styler.to_html()

    # --- display -------------------------------------------------------------------------------

    @cached_property
    def record(self) -> dict[str, Any]:
        """The raw values as JSON, with their digest: what the output's metadata carries."""
        return table_record(self.data)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, str], dict[str, Any]]:
        data = {"text/html": self.to_html(), "text/plain": self.to_text()}
        return data, {METADATA_KEY: {"table": self.record}}

    def __repr__(self) -> str:
        return self.to_text()

    def verdict(self, rule: str, holds: str, fails: str):
        """Say `holds` if `rule` is true of this table's raw values, else `fails` (see verdicts)."""
        from autograder.course.verdicts import Verdict

        return Verdict.about(self, rule, holds, fails)


def spans_orders(values, orders: float = 2) -> bool:
    """True when the positive values span more than `orders` orders of magnitude."""
    present = [float(v) for v in values if not units.missing(v) and float(v) > 0]
    return len(present) > 1 and max(present) / min(present) > 10**orders


def table_record(data: pd.DataFrame) -> dict[str, Any]:
    """{"columns", "index", "rows", "digest"} of `data`, JSON-safe (NaN as None)."""
    record = {
        "columns": [str(col) for col in data.columns],
        "index": [_plain(v) for v in data.index],
        "rows": [[_plain(v) for v in row] for row in data.itertuples(index=False)],
    }
    text = json.dumps(record, sort_keys=True, ensure_ascii=True)
    return {**record, "digest": hashlib.sha256(text.encode()).hexdigest()[:16]}


def _plain(value: Any) -> Any:
    """A JSON value for a table cell: numbers stay numbers, NaN becomes None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _guess(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "flag"
    if pd.api.types.is_integer_dtype(column):
        return "count"
    if pd.api.types.is_float_dtype(column):
        return "number"
    return "text"


def _cell(kind: str, value: Any) -> str:
    if units.missing(value) or (isinstance(value, str) and not value.strip()):
        return units.DASH
    if kind == "flag":
        return "yes" if value else "no"
    if kind == "text":
        return str(value)
    return _CELL_FORMATS[kind](value)


def _index_name(data: pd.DataFrame) -> str:
    names = [name for name in data.index.names if name is not None]
    return " / ".join(map(str, names))
