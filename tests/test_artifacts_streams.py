"""Tests for autograder.artifacts.streams: a byte budget that stops bombs and never over-reads."""

from __future__ import annotations

import io

import pytest

from autograder.artifacts.streams import Budgeted, BudgetExceeded, Truncated


def test_reads_and_counts():
    source = Budgeted(io.BytesIO(b"abcdef\nrest"), 100)
    assert source.read(2) == b"ab" and source.readline() == (b"cdef\n", 5)
    assert source.consumed == 7 and source.read_some(100) == b"rest"


def test_budget_is_charged_before_reading():
    raw = io.BytesIO(b"x" * 100)
    source = Budgeted(raw, 10)
    with pytest.raises(BudgetExceeded):
        source.read(11)
    assert raw.tell() == 0  # nothing was read past the budget
    with pytest.raises(BudgetExceeded):
        source.skip(1_000_000)


@pytest.mark.parametrize("seekable", [True, False])
def test_skip(seekable):
    source = Budgeted(io.BytesIO(b"0123456789"), 100, seekable=seekable)
    source.skip(4)
    assert source.read(2) == b"45"
    with pytest.raises(Truncated):
        source.skip(10)


def test_truncation_and_long_lines():
    with pytest.raises(Truncated):
        Budgeted(io.BytesIO(b"abc"), 100).read(4)
    with pytest.raises(Truncated):
        Budgeted(io.BytesIO(b"no newline"), 100).readline()
    long = Budgeted(io.BytesIO(b"x" * 3_000_000 + b"\nnext\n"), 10**7)
    assert long.readline(keep=1000) == (None, 3_000_001)  # consumed, not kept
    assert long.readline() == (b"next\n", 5)
    with pytest.raises(BudgetExceeded):
        Budgeted(io.BytesIO(b"x" * 3_000_000 + b"\n"), 2_000_000).readline(keep=10)


def test_at_end():
    for seekable in (True, False):
        source = Budgeted(io.BytesIO(b"ab"), 10, seekable=seekable)
        assert not source.at_end()
    source = Budgeted(io.BytesIO(b"ab"), 10, seekable=True)
    source.read(2)
    assert source.at_end()
