"""autograder.common.units: every quantity with its unit, a dash where it does not apply."""

import math

import pytest

from autograder.common import units


@pytest.mark.parametrize("value, text", [
    (0, "0 bytes"), (812, "812 bytes"), (123_456, "123.5 KB"), (6_428_003, "6.4 MB"),
    (2_500_000_000, "2.5 GB"), (None, units.DASH), (math.nan, units.DASH),
])
def test_size(value, text):
    assert units.size(value) == text


def test_binary_sizes_are_what_ulimit_counts():
    assert units.size(4 * 2**30, binary=True) == "4 GiB"
    assert units.size(512 * 2**20, binary=True) == "512 MiB"


@pytest.mark.parametrize("seconds, text", [
    (4.2e-6, "4.20 µs"), (0.00052, "520 µs"), (0.0123, "12.3 ms"), (1.2534, "1.25 s"),
    (59.4, "59.4 s"), (125, "2 min 05 s"), (-125, "-2 min 05 s"), (None, units.DASH),
])
def test_duration(seconds, text):
    assert units.duration(seconds) == text


def test_numbers_have_separators_and_no_exponent():
    assert units.number(18148886.0) == "18,148,886"
    assert units.number(4.000005e-02) == "0.0400"
    assert units.count(60000) == "60,000"
    assert units.plain(2.0) == "2" and units.plain(4000) == "4,000"  # counts stay whole
    assert units.plain(0.923) == "0.923" and units.plain(None) == units.DASH
    assert units.rate(2.1e9) == "2.10 GB/s" and units.rate(812e6) == "812 MB/s"
    assert units.ratio(3.5) == "3.50×" and units.percent(0.154) == "15.4 %"
    assert units.ratio(math.nan) == units.percent(None) == units.DASH


@pytest.mark.parametrize("kind, values, unit", [
    ("duration", [0.0012, 0.0451, 0.5], (1e-3, "ms")),
    ("duration", [2.5, 90.0, 1.2], (1.0, "s")),
    ("duration", [4e-6, 9e-6], (1e-6, "µs")),
    ("size", [409_000, 420_000, 88_000], (1e3, "KB")),
    ("size", [812, 40], (1.0, "bytes")),
    ("rate", [2.7e9, 1.9e9, None], (1e9, "GB/s")),
    ("duration", [None, math.nan, 0.0], (1.0, "s")),  # nothing to go by: the base unit
])
def test_column_unit_reads_the_typical_value_in_one_unit(kind, values, unit):
    assert units.column_unit(kind, values) == unit


def test_column_unit_names_its_kinds():
    with pytest.raises(ValueError, match="no column unit for 'ratio'"):
        units.column_unit("ratio", [1.0])
