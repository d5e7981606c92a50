"""Tests for autograder.artifacts.compare: the comparison policy of each format."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.artifacts.compare import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    compare,
    ties,
)


@pytest.mark.parametrize("fmt", ["pickle", "joblib", "skops", "safetensors", "torch",
                                 "torchscript", "pt2", "npy"])
def test_exact_formats_count_one_ulp(fmt):
    expected = np.array([[0.25, 0.75], [0.5, 0.5]])
    nudged = expected.copy()
    nudged[1, 0] = np.nextafter(0.5, 1)
    result = compare(fmt, expected, nudged)
    assert result.policy == "exact" and not result.identical
    assert result.n_differ == 1 and 0 < result.max_abs_diff < 1e-15
    assert compare(fmt, expected, expected.copy()).identical


def test_onnx_floats_use_the_tolerance():
    expected = np.array([0.1, 0.2, 0.3])
    close = expected + 4e-7  # what float32 ONNX gives on the course pipelines
    assert compare("onnx", expected, close).identical
    assert compare("onnx", expected, close).max_abs_diff == pytest.approx(4e-7)
    assert not compare("onnx", expected, close, rtol=0, atol=0).identical
    far = expected + 1e-3
    result = compare("onnx", expected, far)
    assert not result.identical and result.n_differ == 3
    assert f"rtol={DEFAULT_RTOL:g}" in result.policy and f"atol={DEFAULT_ATOL:g}" in result.policy


def test_onnx_labels_are_tie_aware():
    expected = np.array([0, 1, 1, 0])
    got = np.array([1, 1, 0, 0])  # rows 0 and 2 differ
    proba = np.array([[0.5, 0.5], [0.2, 0.8], [0.3, 0.7], [0.9, 0.1]])  # only row 0 is tied
    result = compare("onnx", expected, got, proba=proba)
    assert (result.n_differ, result.n_ties) == (1, 1) and not result.identical
    assert "tie-aware" in result.policy and "1 label(s) differ only" in result.describe()
    own = np.array([[0.5, 0.5], [0.2, 0.8], [0.5, 0.5000001], [0.9, 0.1]])
    both = compare("onnx", expected, got, proba=proba, own_proba=own)
    assert (both.identical, both.n_differ, both.n_ties) == (True, 0, 2)
    # Without probabilities there is nothing to judge ties by: labels are exact.
    assert compare("onnx", expected, got).n_differ == 2
    # Exact formats never excuse a label.
    assert compare("pickle", expected, got, proba=proba).n_differ == 2


def test_ties_within_tolerance():
    proba = np.array([[0.5, 0.5], [0.49999997, 0.50000003], [0.4, 0.6], [0.2, 0.3, 0.5]],
                     dtype=object)
    rows = [np.asarray(p, dtype=float) for p in proba]
    assert ties(np.array(rows[:3]), 1e-4, 1e-6).tolist() == [True, True, False]
    assert ties(np.array([[1.0], [0.0]]), 1e-4, 1e-6).tolist() == [False, False]


def test_onnx_column_outputs_match_flat_expectations():
    expected = np.array([1.0, 2.0, 3.0])
    assert compare("onnx", expected, expected.reshape(-1, 1)).identical
    assert compare("pickle", expected, expected.reshape(-1, 1)).problem


def test_shapes_strings_nan_and_scalars():
    result = compare("pickle", np.zeros((3, 2)), np.zeros((3, 3)))
    assert result.problem.startswith("output shape (3, 3)") and not result.identical
    strings = compare("pickle", np.array(["a", "b"]), np.array(["a", "c"]))
    assert strings.n_differ == 1 and np.isnan(strings.max_abs_diff)
    assert compare("pickle", np.array([np.nan, 1.0]), np.array([np.nan, 1.0])).identical
    assert compare("onnx", np.array([np.nan, 1.0]), np.array([np.nan, 1.0])).identical
    assert compare("pickle", np.float64(3.0), np.float64(3.0)).identical


def differences(expected, got) -> tuple[int, float]:
    comparison = compare("pickle", expected, got)
    return comparison.n_differ, comparison.max_abs_diff


def test_exact_comparison_counts_rows_and_the_largest_difference():
    assert differences(np.array([1, 2, 3]), np.array([1, 5, 3])) == (1, 3.0)
    assert differences(np.array([[0.5, np.nan]]), np.array([[0.5, np.nan]])) == (0, 0.0)
    n, diff = differences(np.array([np.nan, 1.0]), np.array([0.0, 1.0]))
    assert n == 1 and np.isnan(diff)
    n, diff = differences(np.array(["a", "b"]), np.array(["a", "c"]))
    assert n == 1 and np.isnan(diff)
    assert differences(np.empty((0, 2)), np.empty((0, 2))) == (0, 0.0)
