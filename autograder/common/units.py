"""Numbers for people: sizes, durations, rates, ratios and counts, each with its unit.

One formatter for the whole package, so a lesson table, a checker message and a grading report
write the same quantity the same way: thousands separators, three significant digits, the unit
next to the number, and `DASH` where a value does not apply (None or NaN).

Sizes are decimal (1 KB = 1,000 bytes, as file managers and disks count) unless `binary=True`
(1 GiB = 2**30 bytes, as `ulimit` and memory limits count).

A column of a table reads best in one unit, named in its header: `column_unit(kind, values)`
picks it (the largest unit in which the typical value is at least 1), and `number` writes each
value in it.
"""

from __future__ import annotations

import math

DASH = "—"
DECIMAL_SIZES = ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB"))
BINARY_SIZES = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))


# Largest unit first, for column_unit.
COLUMN_SCALES = {
    "size": (*DECIMAL_SIZES, (1.0, "bytes")),
    "duration": ((60.0, "min"), (1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")),
    "rate": (*((f, f"{u}/s") for f, u in DECIMAL_SIZES), (1.0, "bytes/s")),
}


def missing(value) -> bool:
    """True for None and NaN: shown as a dash."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 3) -> str:
    """`digits` significant digits, thousands separators, no exponent: 0.0401, 1.25, 18,149."""
    if missing(value):
        return DASH
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def count(value) -> str:
    """A whole number with thousands separators: 60,000."""
    return DASH if missing(value) else f"{int(value):,}"


def plain(value) -> str:
    """A figure without a unit: a whole number as a count (2 labels, not 2.00), else
    `number`."""
    if not missing(value) and math.isfinite(float(value)) and float(value).is_integer():
        return count(value)
    return number(value)


def size(n_bytes, *, binary: bool = False) -> str:
    """812 bytes, 123.4 KB, 12.3 MB (or 4 GiB with binary=True)."""
    if missing(n_bytes):
        return DASH
    n = int(n_bytes)
    if binary:
        for factor, unit in BINARY_SIZES:
            if abs(n) >= factor:
                return f"{n / factor:g} {unit}"
        return f"{n:,} bytes"
    for factor, unit in DECIMAL_SIZES:
        if abs(n) >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n:,} bytes"


def duration(seconds) -> str:
    """A time in the unit that reads best: 4.2 µs, 0.52 ms, 12.3 ms, 1.25 s, 2 min 05 s."""
    if missing(seconds):
        return DASH
    s = float(seconds)
    if abs(s) < 1e-3:
        return f"{number(s * 1e6)} µs"
    if abs(s) < 1:
        return f"{number(s * 1e3)} ms"
    if abs(s) < 60:
        return f"{number(s)} s"
    minutes, rest = divmod(round(abs(s)), 60)
    return f"{'-' if s < 0 else ''}{minutes} min {rest:02d} s"


def rate(bytes_per_second) -> str:
    """Throughput in decimal units: 812 MB/s, 2.10 GB/s."""
    if missing(bytes_per_second):
        return DASH
    value = float(bytes_per_second)
    for factor, unit in DECIMAL_SIZES:
        if abs(value) >= factor:
            return f"{number(value / factor)} {unit}/s"
    return f"{number(value)} bytes/s"


def ratio(value) -> str:
    """A speed-up or a size ratio: 3.50×, 0.42×."""
    return DASH if missing(value) else f"{number(value)}×"


def percent(fraction, digits: int = 3) -> str:
    """A fraction as a percentage: 0.154 -> 15.4 %."""
    return DASH if missing(fraction) else f"{number(100 * float(fraction), digits)} %"


def column_unit(kind: str, values) -> tuple[float, str]:
    """(factor, unit) for showing `values` of `kind` ("size", "duration" or "rate") in one unit.

    The unit is the largest in which the median of the values present is at least 1, so most
    of the column reads as 1 to 999 in that unit: `column_unit("duration", [0.0012, 0.0451])`
    is `(1e-3, "ms")`. Divide each value by the factor and write it with `number`.
    """
    if kind not in COLUMN_SCALES:
        raise ValueError(f"no column unit for {kind!r}; use one of {', '.join(COLUMN_SCALES)}")
    scales = COLUMN_SCALES[kind]
    present = sorted(abs(float(v)) for v in values if not missing(v) and float(v) != 0)
    if not present:
        return next(scale for scale in scales if scale[0] == 1.0)
    typical = present[len(present) // 2]
    return next(((f, u) for f, u in scales if typical >= f), scales[-1])
