"""Tests for autograder.artifacts.handoff: inputs and predictions cross processes as .npy,
never pickle."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from autograder.artifacts.handoff import MANIFEST, load_inputs, plain_array, save_inputs
from autograder.course.credit import split

ARRAYS = {
    "float 2-D": np.random.default_rng(0).normal(size=(7, 3)),
    "float with nan and inf": np.array([[0.1, np.nan], [np.inf, -0.0]]),
    "int64": np.arange(12, dtype=np.int64).reshape(4, 3),
    "int32": np.array([[1, -2], [3, 4]], dtype=np.int32),
    "bool": np.array([[True, False], [False, True]]),
    "unicode": np.array([["repaid", "default"], ["é", ""]]),
    "1-D": np.array([1.5, 2.5, 3.5]),
    "empty": np.empty((0, 4)),
}


def assert_every_npy_is_pickle_free(folder):
    files = sorted(folder.glob("*.npy"))
    assert files
    for file in files:
        array = np.load(file, allow_pickle=False)  # raises for an object (pickled) array
        assert array.dtype != object
    assert {p.suffix for p in folder.iterdir()} == {".npy", ".json"}
    json.loads((folder / MANIFEST).read_text())


@pytest.mark.parametrize("name", ARRAYS)
def test_numpy_arrays_round_trip_exactly(tmp_path, name):
    X = ARRAYS[name]
    save_inputs(X, tmp_path / "inputs")
    back = load_inputs(tmp_path / "inputs")
    assert isinstance(back, np.ndarray)
    assert back.dtype == X.dtype and back.shape == X.shape
    np.testing.assert_array_equal(back, X)
    if X.dtype.kind == "f":  # -0.0 stays negative
        assert np.signbit(back).tolist() == np.signbit(X).tolist()
    assert_every_npy_is_pickle_free(tmp_path / "inputs")


def test_object_strings_become_unicode_not_pickle(tmp_path):
    X = np.array([["a", "bb"], ["ccc", "d"]], dtype=object)
    save_inputs(X, tmp_path / "inputs")
    back = load_inputs(tmp_path / "inputs")
    assert back.dtype.kind == "U"
    assert back.tolist() == X.tolist()
    assert_every_npy_is_pickle_free(tmp_path / "inputs")


def test_lists_are_saved_as_arrays(tmp_path):
    save_inputs([[1.0, 2.0], [3.0, 4.0]], tmp_path / "inputs")
    np.testing.assert_array_equal(load_inputs(tmp_path / "inputs"), [[1.0, 2.0], [3.0, 4.0]])


def mixed_frame() -> pd.DataFrame:
    # Column order is deliberately not alphabetical; names need not be identifiers.
    return pd.DataFrame({
        "zeta": np.array([3, -1, 2**40], dtype=np.int64),
        "annual income": [52_000.25, np.nan, 1e-300],
        "flag": [True, False, True],
        "purpose": pd.Series(["car", "débt", ""], dtype="str"),
        "small": np.array([1, 2, 3], dtype=np.int32),
        "alpha": np.array([0.5, 0.25, -0.0], dtype=np.float32),
    })


def test_dataframe_round_trips_exactly(tmp_path):
    X = mixed_frame()
    save_inputs(X, tmp_path / "inputs")
    back = load_inputs(tmp_path / "inputs")
    assert isinstance(back, pd.DataFrame)
    assert list(back.columns) == ["zeta", "annual income", "flag", "purpose", "small", "alpha"]
    assert back.dtypes.tolist() == X.dtypes.tolist()
    pd.testing.assert_frame_equal(back, X, check_exact=True)
    assert_every_npy_is_pickle_free(tmp_path / "inputs")
    manifest = json.loads((tmp_path / "inputs" / MANIFEST).read_text())
    assert manifest == {"kind": "frame", "columns": list(X.columns)}


def test_object_string_column_keeps_its_values(tmp_path):
    X = pd.DataFrame({"label": pd.Series(["repaid", "default"], dtype=object), "x": [1, 2]})
    save_inputs(X, tmp_path / "inputs")
    back = load_inputs(tmp_path / "inputs")
    assert back["label"].tolist() == ["repaid", "default"]
    pd.testing.assert_frame_equal(back, X, check_dtype=False, check_exact=True)
    assert_every_npy_is_pickle_free(tmp_path / "inputs")


def test_credit_features_round_trip_exactly(tmp_path):
    X_test = split()[1]
    save_inputs(X_test, tmp_path / "inputs")
    back = load_inputs(tmp_path / "inputs")
    # Only the index is not carried (predictions are positional); everything else is exact.
    pd.testing.assert_frame_equal(back, X_test.reset_index(drop=True), check_exact=True)
    assert len(list((tmp_path / "inputs").glob("col*.npy"))) == X_test.shape[1]
    assert_every_npy_is_pickle_free(tmp_path / "inputs")


def test_saving_twice_into_one_folder_overwrites(tmp_path):
    save_inputs(mixed_frame(), tmp_path / "inputs")
    save_inputs(ARRAYS["int64"], tmp_path / "inputs")
    np.testing.assert_array_equal(load_inputs(tmp_path / "inputs"), ARRAYS["int64"])


@pytest.mark.parametrize("values, kind", [
    (np.array([1, 2], dtype=np.int64), "i"),
    (np.array([0.5]), "f"),
    (np.array(["a", "b"], dtype=object), "U"),
    (pd.Series(["repaid", "default"], dtype=object), "U"),
    (pd.Series(["repaid", "default"], dtype="str"), "U"),
    ([True, False], "b"),
])
def test_plain_array_never_needs_pickle(tmp_path, values, kind):
    array = plain_array(values)
    assert isinstance(array, np.ndarray) and array.dtype.kind == kind
    np.save(tmp_path / "a.npy", array, allow_pickle=False)
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy", allow_pickle=False),
                                  np.asarray(values).astype(array.dtype))


def test_plain_array_keeps_numeric_arrays_as_they_are():
    probabilities = np.array([[0.25, 0.75]])
    assert plain_array(probabilities) is probabilities
