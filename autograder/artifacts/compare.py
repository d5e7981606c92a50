"""Compare a reloaded artifact's output with the expected one, with its format's policy.

- **Exact** for every format but ONNX (pickle, joblib, skops, safetensors, torch, TorchScript,
  `.pt2`, .npy, .npz): they store the same numbers and run the same code, so every value must
  be equal (NaN equals NaN).
- **ONNX** runs the model again in another runtime, often in float32:
  - float outputs are compared with `numpy.isclose(rtol, atol)`; the defaults (rtol 1e-4,
    atol 1e-6) are a few hundred float32 ulps around 1, above the largest difference the
    course's pipelines show in float32 (4e-7; lesson 04 measures it);
  - labels are compared tie-aware: a label that differs only where the reference
    probabilities' top two classes are tied within that tolerance is reported (`n_ties`) but
    not counted. A float32 random forest flips labels exactly at 0.5/0.5 vote ties; float32
    scaling can also move one tree's vote, so a row tied on either side (the reference's
    probabilities, or the artifact's own when given as `own_proba`) counts as a tie.

A row differs when any of its values differs; `max_abs_diff` is over numeric outputs only
(NaN for labels that are strings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.artifacts.enums import Format

TOLERANT_FORMATS = frozenset({Format.ONNX})
DEFAULT_RTOL, DEFAULT_ATOL = 1e-4, 1e-6


@dataclass(frozen=True, kw_only=True)
class Comparison:
    identical: bool
    n_rows: int
    n_differ: int  # rows counted as different
    n_ties: int  # label differences at tied reference probabilities (reported, not counted)
    max_abs_diff: float
    policy: str
    problem: str = ""  # e.g. the shapes differ

    def describe(self) -> str:
        ties = f"; {self.n_ties:,} label(s) differ only at tied probabilities" \
            if self.n_ties else ""
        return f"{self.policy}{ties}"


def _differs(expected, got, rtol: float = 0.0, atol: float = 0.0) -> np.ndarray:
    numeric = np.issubdtype(expected.dtype, np.number) and np.issubdtype(got.dtype, np.number)
    if numeric and (rtol or atol):
        return ~np.isclose(got.astype(float), expected.astype(float), rtol=rtol, atol=atol,
                           equal_nan=True)
    differs = expected != got
    if np.issubdtype(expected.dtype, np.floating) and np.issubdtype(got.dtype, np.floating):
        differs &= ~(np.isnan(expected) & np.isnan(got))
    return np.asarray(differs)


def _rows(differs: np.ndarray) -> np.ndarray:
    """Per row: does any of its values differ (empty arrays included)."""
    return differs.any(axis=tuple(range(1, differs.ndim)))


def _summary(expected, got, differs) -> tuple[int, float]:
    n_differ = int(_rows(differs).sum())
    if np.issubdtype(expected.dtype, np.number) and np.issubdtype(got.dtype, np.number):
        diff = np.abs(expected.astype(float) - got.astype(float))
        diff[~_differs(expected, got)] = 0.0  # nan only where exactly one side is nan
        max_abs = float(np.max(diff)) if diff.size else 0.0
    else:
        max_abs = float("nan")
    return n_differ, max_abs


def _aligned(expected: np.ndarray, got: np.ndarray, squeeze: bool):
    """ONNX regressors return (n, 1) where scikit-learn returns (n,): same values."""
    if squeeze and got.shape != expected.shape and got.size == expected.size \
            and got.ndim and expected.ndim and got.shape[0] == expected.shape[0]:
        return got.reshape(expected.shape)
    return got


def ties(proba: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Rows whose two largest probabilities are equal within the tolerance."""
    proba = np.asarray(proba, dtype=float).reshape(len(proba), -1)
    if proba.shape[1] < 2:
        return np.zeros(len(proba), dtype=bool)
    top = np.sort(proba, axis=1)[:, ::-1]
    return top[:, 0] - top[:, 1] <= atol + rtol * np.abs(top[:, 0])


def compare(fmt: str, expected, got, *, proba=None, own_proba=None,
            rtol: float | None = None, atol: float | None = None) -> Comparison:
    """Compare `got` (the artifact's output) with `expected` under the policy of `fmt`.

    `proba`: the reference class probabilities per row, and `own_proba` the artifact's, used
    for tie-aware labels (ONNX only).
    """
    expected, got = np.asarray(expected), np.asarray(got)
    tolerant = fmt in TOLERANT_FORMATS
    rtol = DEFAULT_RTOL if rtol is None else rtol
    atol = DEFAULT_ATOL if atol is None else atol
    got = _aligned(expected, got, tolerant)
    n_rows = len(expected) if expected.ndim else 1
    policy = f"tolerance rtol={rtol:g}, atol={atol:g}" if tolerant else "exact"
    if got.shape != expected.shape:
        return Comparison(identical=False, n_rows=n_rows, n_differ=n_rows, n_ties=0,
                          max_abs_diff=float("nan"), policy=policy,
                          problem=f"output shape {got.shape} differs from the expected "
                                  f"{expected.shape}")
    if expected.ndim == 0:
        expected, got = expected.reshape(1), got.reshape(1)
    floats = np.issubdtype(expected.dtype, np.floating)
    if tolerant and floats:
        differs = _differs(expected, got, rtol, atol)
        n_differ, max_abs = _summary(expected, got, differs)
        return Comparison(identical=n_differ == 0, n_rows=n_rows, n_differ=n_differ, n_ties=0,
                          max_abs_diff=max_abs, policy=policy)
    differs = _differs(expected, got)
    row_differs = _rows(differs)
    n_differ, max_abs = _summary(expected, got, differs)
    n_ties = 0
    references = [p for p in (proba, own_proba) if p is not None and len(p) == len(expected)]
    if tolerant and references:
        tied = np.zeros(len(expected), dtype=bool)
        for reference in references:
            tied |= ties(reference, rtol, atol)
        n_ties = int((row_differs & tied).sum())
        n_differ -= n_ties
        policy += ", tie-aware labels"
    elif tolerant:
        policy = "exact labels (no probabilities to detect ties)"
    return Comparison(identical=n_differ == 0, n_rows=n_rows, n_differ=n_differ, n_ties=n_ties,
                      max_abs_diff=max_abs, policy=policy)
