"""Tests for autograder.artifacts.child: run in this process (except the audit hook, which cannot be
removed once installed): every outcome becomes a JSON status and .npy outputs."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from payload import Payload
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from autograder.artifacts.child import Refused, error_fields, load_joblib, parse_args, run
from autograder.artifacts.enums import ErrorKind
from autograder.artifacts.handoff import save_inputs

X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
Y = np.array(["repaid", "repaid", "default", "default"], dtype=object)



@pytest.fixture
def inputs(tmp_path):
    save_inputs(X, tmp_path / "inputs")
    return tmp_path / "inputs"


def save(obj, path):
    path.write_bytes(pickle.dumps(obj))
    return path


def child_run(path, fmt, inputs, out, *extra, method="predict"):
    """The child's run() with parsed arguments; the audit hook stays off in this process."""
    out.mkdir(exist_ok=True)
    args = parse_args([str(path), "--format", fmt, "--inputs", str(inputs), "--method", method,
                       "--out", str(out), "--no-audit", *extra])
    return run(path, args, out)


def test_done_writes_pickle_free_outputs(tmp_path, inputs):
    model = LogisticRegression().fit(X, Y)
    status = child_run(save(model, tmp_path / "m.pkl"), "pickle", inputs, tmp_path / "out")
    assert status["stage"] == "done"
    assert status["type"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert status["load_seconds"] > 0 and status["outputs"] == ["output0"]
    got = np.load(tmp_path / "out" / "out_0.npy", allow_pickle=False)  # labels became unicode
    assert got.dtype.kind == "U" and got.tolist() == model.predict(X).tolist()
    json.dumps(status)


def test_joblib_loader_and_a_single_npy_input(tmp_path):
    model = DummyClassifier(strategy="prior").fit(X, Y)
    path = tmp_path / "m.joblib"
    joblib.dump(model, path, compress=3)
    np.save(tmp_path / "X.npy", X)
    status = child_run(path, "joblib", tmp_path / "X.npy", tmp_path / "out",
                       method="predict_proba")
    assert status["stage"] == "done"
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "out_0.npy"),
                                  model.predict_proba(X))


def test_value_method_returns_the_object_itself(tmp_path, inputs):
    array = np.arange(6.0).reshape(2, 3)
    status = child_run(save(array, tmp_path / "a.pkl"), "pickle", inputs, tmp_path / "out",
                       method="value")
    assert status["stage"] == "done"
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "out_0.npy"), array)


def test_missing_method(tmp_path, inputs):
    status = child_run(save({"a": 1}, tmp_path / "d.pkl"), "pickle", inputs, tmp_path / "out")
    assert status["stage"] == "predict"
    assert status["error_type"] == "MissingMethod" and status["type"] == "builtins.dict"
    assert status["error_kind"] == ErrorKind.MISSING_METHOD
    assert not (tmp_path / "out" / "out_0.npy").exists()


@pytest.fixture(autouse=True)
def restore_joblib(monkeypatch):
    """load_joblib patches joblib's unpickler, as it should in a throwaway child: undo it."""
    from joblib.numpy_pickle import NumpyUnpickler

    monkeypatch.setattr(NumpyUnpickler, "find_class", NumpyUnpickler.find_class)


def test_the_child_refuses_globals_outside_the_allowlist(tmp_path, inputs):
    """The second wall: even if the static gate were wrong, the unpickler refuses."""
    canary = tmp_path / "canary"
    path = save(Payload(os.system, f"touch {canary}"), tmp_path / "payload.pkl")
    for fmt in ("pickle", "joblib"):
        status = child_run(path, fmt, inputs, tmp_path / "out")
        assert status["stage"] == "load" and status["error_type"] == "Refused"
        assert status["error_kind"] == ErrorKind.REFUSED
        assert "posix.system" in status["error"]
    assert not canary.exists()
    # A trusted pair is accepted: the test of the allowlist is exact, not a blanket refusal.
    status = child_run(save(Payload(abs, -3), tmp_path / "abs.pkl"), "pickle", inputs,
                       tmp_path / "out", "--trusted", json.dumps([["builtins", "abs"]]))
    assert status["stage"] == "predict" and status["type"] == "builtins.int"


def test_joblib_nested_object_arrays_use_the_restricted_unpickler(tmp_path):
    canary = tmp_path / "canary"
    path = tmp_path / "objects.joblib"
    joblib.dump(np.array([Payload(os.system, f"touch {canary}"), 1], dtype=object), path)
    args = parse_args([str(path), "--format", "joblib", "--inputs", str(path), "--out",
                       str(tmp_path)])
    with pytest.raises(Refused):
        load_joblib(path, args)
    assert not canary.exists()


def test_load_error_is_reported_not_raised(tmp_path, inputs):
    path = tmp_path / "broken.pkl"
    path.write_bytes(b"\x80\x04cnot_installed_mod\nModel\n.")
    status = child_run(path, "pickle", inputs, tmp_path / "out", "--trusted",
                       json.dumps([["not_installed_mod", "Model"]]))
    assert status["stage"] == "load"
    assert status["error_type"] == "ModuleNotFoundError"
    assert status["error"] == "No module named 'not_installed_mod'"
    assert "load_seconds" not in status


def test_predict_error_keeps_the_first_line(tmp_path, inputs):
    status = child_run(save(LogisticRegression(), tmp_path / "u.pkl"), "pickle", inputs,
                       tmp_path / "out")
    assert status["stage"] == "predict" and status["error_type"] == "NotFittedError"
    assert "\n" not in status["error"] and "not fitted" in status["error"]


def test_weights_without_a_model_class_are_explained(tmp_path, inputs):
    import torch

    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt")
    status = child_run(tmp_path / "w.pt", "torch", inputs, tmp_path / "out")
    assert status["stage"] == "load" and "--model-class" in status["error"]


def test_error_fields():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError as exc:
        fields = error_fields(exc)
    assert fields == {"error_kind": ErrorKind.RAISED, "error_type": "ValueError",
                      "error": "first line", "where": "test_error_fields"}
    assert error_fields(KeyError())["error"] == ""


AUDITED = """
import os, socket, subprocess, sys
from pathlib import Path
from autograder.artifacts.child import install_audit_hook
work = Path(sys.argv[1])
install_audit_hook(work)
(work / "inside.txt").write_text("allowed")
results = {}
for name, action in {
    "system": lambda: os.system("true"),
    "popen": lambda: subprocess.run(["true"]),
    "write outside": lambda: open(sys.argv[2], "w"),
    "remove outside": lambda: os.remove(sys.argv[3]),
    "socket": lambda: socket.create_connection(("127.0.0.1", 9)),
}.items():
    try:
        action()
        results[name] = "ran"
    except PermissionError as exc:
        results[name] = "blocked" if "sandbox" in str(exc) else f"other: {exc}"
    except OSError as exc:
        results[name] = f"oserror: {exc}"
print(results)
"""


def test_audit_hook_blocks_processes_sockets_and_writes_outside(tmp_path):
    work, outside, keep = tmp_path / "work", tmp_path / "outside.txt", tmp_path / "keep.txt"
    work.mkdir()
    keep.write_text("x")
    out = subprocess.run([sys.executable, "-c", AUDITED, str(work), str(outside), str(keep)],
                         capture_output=True, text=True, timeout=60)
    results = eval(out.stdout)  # a dict literal printed by the script above
    assert results == dict.fromkeys(["system", "popen", "write outside", "remove outside",
                                     "socket"], "blocked"), out.stderr
    assert (work / "inside.txt").read_text() == "allowed"
    assert not outside.exists() and keep.exists()


def test_npz_arrays_are_outputs_and_object_arrays_use_the_restricted_unpickler(tmp_path,
                                                                              inputs):
    labels = np.array(["repaid", None], dtype=object)
    np.savez_compressed(tmp_path / "ok.npz", w=np.eye(2), labels=labels)
    status = child_run(tmp_path / "ok.npz", "npz", inputs, tmp_path / "out", method="value")
    assert status["stage"] == "done" and status["outputs"] == ["w", "labels"]
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "out_0.npy"), np.eye(2))
    assert np.load(tmp_path / "out" / "out_1.npy").tolist() == ["repaid", "None"]
    canary = tmp_path / "canary"
    np.savez(tmp_path / "evil.npz", w=np.eye(2),
             bad=np.array([Payload(os.system, f"touch {canary}")], dtype=object))
    status = child_run(tmp_path / "evil.npz", "npz", inputs, tmp_path / "out", method="value")
    assert status["stage"] == "load" and status["error_kind"] == ErrorKind.REFUSED
    assert not canary.exists()


def test_legacy_torch_files_load_weights_only(tmp_path, inputs):
    import torch

    torch.save({"w": torch.arange(3.0)}, tmp_path / "w.pt", _use_new_zipfile_serialization=False)
    status = child_run(tmp_path / "w.pt", "torch-legacy", inputs, tmp_path / "out",
                       method="value")
    assert status["stage"] == "done", status
