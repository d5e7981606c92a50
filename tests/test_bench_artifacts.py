"""Tests for bench.artifacts: each verify goal is computed from the same run's import time,
the loader's imports are recorded by running it, checks in one process are timed warm and
fresh side by side, inspect reports MB/s, and a verify that fails is a note, not a row."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import artifacts
from bench.core import with_unit


@pytest.fixture(scope="module")
def section():
    return artifacts.run(quick=True)


def test_quick_run_verifies_pickle_and_onnx_with_computed_goals(section):
    rows = {m.name: m for m in section.measurements}
    pickle_row = rows["pickle (protocol 5): verify"]
    baseline = rows["pickle (protocol 5): import its loader's modules"]
    assert baseline.median > 0 and pickle_row.median > 0  # how they compare is the bench's job
    assert pickle_row.goal == pytest.approx(baseline.median + artifacts.MARGIN)
    assert f"import {with_unit(baseline.median, 's')}" in pickle_row.note
    onnx_row = rows["ONNX (skl2onnx): verify"]
    assert onnx_row.goal == artifacts.ONNX_GOAL and onnx_row.median > 0
    assert not any(name.startswith("ONNX") and "import" in name for name in rows)


def test_quick_run_times_checks_in_one_process_warm_and_fresh(section):
    rows = {m.key: m for m in section.measurements if m.key.startswith("check-")}
    assert set(rows) == {"check-warm-later", "check-fresh-later", "check-warm-first"}
    per_run = artifacts.CHECKS_PER_PROCESS - 1  # the first check of a process is apart
    assert rows["check-warm-later"].n == rows["check-fresh-later"].n == per_run
    assert rows["check-warm-later"].goal == pytest.approx(rows["check-fresh-later"].median / 3)


def test_quick_run_measures_inspect_throughput(section):
    rows = {m.name: m for m in section.measurements}
    for name in ("pickle protocol 5", "joblib uncompressed", "joblib zlib 3"):
        row = rows[f"inspect {name}"]
        assert row.unit == "MB/s" and row.median > 0 and row.higher_is_better
    assert rows["inspect the small forest pickle"].median > 0
    assert not any("not measured" in note for note in section.notes)


def test_the_loader_records_what_it_imports(tmp_path):
    (pickle_artifact,) = [a for a in artifacts.build_sklearn(tmp_path, 60, 2)
                          if a.path.suffix == ".pkl"]
    modules = json.loads(artifacts.loader_modules(pickle_artifact, tmp_path).read_text())
    assert "sklearn.ensemble._forest" in modules and "numpy" in modules
    assert modules.index("sklearn") < modules.index("sklearn.ensemble._forest")  # import order
    assert "autograder.artifacts.child" not in modules  # the checker's own code is not the baseline


def test_a_failing_verify_is_a_note_not_a_row(tmp_path):
    (artifact,) = [a for a in artifacts.build(tmp_path, quick=True) if a.path.suffix == ".onnx"]
    np.save(artifact.expected, 1 - np.load(artifact.expected))  # every label now wrong
    rows, notes = artifacts.time_verify([artifact], repeats=1)
    assert rows == [] and len(notes) == 1
    assert notes[0].startswith("ONNX (skl2onnx): not measured: verify failed: forest.onnx: "
                               "differs on")
