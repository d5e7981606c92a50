"""Tests for bench.serialization: every format round-trips the array, ratios are taken against
the same round's memory copy, and a failing format is a note while the others go on."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bench import serialization as ser


def test_quick_run_measures_every_format_against_memcpy():
    section = ser.run(quick=True)
    rows = {m.name: m for m in section.measurements}
    memcpy = rows.pop("memory copy (`np.copyto`)")
    assert memcpy.unit == "MB/s" and memcpy.n == 3 and memcpy.median > 10
    exponents = {name: rows.pop(name) for name in [n for n in rows if "exponent" in n]}
    assert len(rows) == 1 + 2 * len(ser.CODECS)
    assert len(exponents) == len(ser.SCALING)
    assert all(0 < row.median < 3 for row in exponents.values()), exponents  # a log-log slope
    for fmt in ser.CODECS:
        for op in ("save", "load"):
            row = rows[f"{fmt.name}: {op}"]
            assert row.unit == "% of memcpy" and row.n == 3 and row.median > 0
            assert re.fullmatch(r"[\d.,]+ [KMG]?B/s", row.note) and row.goal is None  # units.rate
    assert "One float64 array of 4.0 MB" in section.intro
    assert not any("not measured" in n for n in section.notes)


@pytest.mark.parametrize("fmt", ser.CODECS, ids=lambda f: f.name)
def test_each_format_round_trips_exactly(fmt, tmp_path):
    array = np.random.default_rng(0).standard_normal(1000)
    fmt.save(array, tmp_path / f"a{fmt.suffix}")
    loaded = fmt.load(tmp_path / f"a{fmt.suffix}")
    assert isinstance(loaded, np.ndarray) and loaded.dtype == np.float64
    assert np.array_equal(loaded, array)


def test_a_failing_format_is_reported_and_the_others_go_on(tmp_path):
    def broken(array, path):
        raise OSError("No space left on device\ndetails")

    formats = (ser.Codec("broken", ".b", broken, ser._npy_load), ser.CODECS[2])
    seconds, memcpy, problems = ser.measure(80_000, 2, tmp_path, formats)
    assert problems == {"broken": "OSError: No space left on device"}
    assert seconds["broken save"] == [] and len(seconds["numpy .npy save"]) == 2
    assert len(memcpy) == 2 and all(t > 0 for t in memcpy)
    assert list(tmp_path.iterdir()) == []  # every file was removed


def test_a_format_that_changes_the_data_is_caught(tmp_path):
    def lossy(path):
        return ser._npy_load(path).astype(np.float32).astype(np.float64)

    formats = (ser.Codec("lossy", ".npy", ser._npy_save, lossy),)
    _, _, problems = ser.measure(80_000, 1, tmp_path, formats)
    assert problems == {"lossy": "ValueError: the loaded array differs from the saved one"}


def test_files_go_to_dev_shm_when_it_has_room():
    folder, where = ser.choose_folder(1000)
    assert folder.is_dir() and str(folder) in where
    huge, where = ser.choose_folder(1 << 60)
    assert "disk" in where
