"""Tests for autograder.child, run in this process: every outcome becomes a JSON status."""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from autograder.child import error_fields, load, run
from autograder.tables import save_inputs

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
Y = np.array(["repaid", "repaid", "default", "default"], dtype=object)


@pytest.fixture
def inputs(tmp_path):
    save_inputs(X, tmp_path / "inputs")
    return tmp_path / "inputs"


def save(obj, path):
    path.write_bytes(pickle.dumps(obj))
    return path


def test_done_writes_pickle_free_predictions(tmp_path, inputs):
    model = LogisticRegression().fit(X, Y)
    out = tmp_path / "predictions.npy"
    status = run(save(model, tmp_path / "m.pkl"), "pickle", inputs, "predict", out)
    assert status["stage"] == "done"
    assert status["type"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert status["load_seconds"] > 0
    got = np.load(out, allow_pickle=False)  # object labels were written as unicode
    assert got.dtype.kind == "U" and got.tolist() == model.predict(X).tolist()
    json.dumps(status)


def test_joblib_loader(tmp_path, inputs):
    model = DummyClassifier(strategy="prior").fit(X, Y)
    path = tmp_path / "m.joblib"
    joblib.dump(model, path, compress=3)
    out = tmp_path / "proba.npy"
    status = run(path, "joblib", inputs, "predict_proba", out)
    assert status["stage"] == "done"
    np.testing.assert_array_equal(np.load(out, allow_pickle=False), model.predict_proba(X))
    assert load(path, "joblib").classes_.tolist() == ["default", "repaid"]


def test_missing_method(tmp_path, inputs):
    out = tmp_path / "p.npy"
    status = run(save({"a": 1}, tmp_path / "d.pkl"), "pickle", inputs, "predict", out)
    assert status == {"stage": "predict", "load_seconds": status["load_seconds"],
                      "type": "builtins.dict", "error_type": "MissingMethod"}
    assert not out.exists()


def test_load_error_is_reported_not_raised(tmp_path, inputs):
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"\x80\x04cnot_installed_mod\nModel\n.")
    status = run(path, "pickle", inputs, "predict", tmp_path / "p.npy")
    assert status["stage"] == "load"
    assert status["error_type"] == "ModuleNotFoundError"
    assert status["error"] == "No module named 'not_installed_mod'"
    assert "load_seconds" not in status


def test_predict_error_keeps_the_first_line(tmp_path, inputs):
    unfitted = LogisticRegression()
    status = run(save(unfitted, tmp_path / "u.pkl"), "pickle", inputs, "predict",
                 tmp_path / "p.npy")
    assert status["stage"] == "predict" and status["error_type"] == "NotFittedError"
    assert "\n" not in status["error"] and "not fitted" in status["error"]


def test_error_fields():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError as exc:
        fields = error_fields(exc)
    assert fields == {"error_type": "ValueError", "error": "first line",
                      "where": "test_error_fields"}
    assert error_fields(KeyError())["error"] == ""
