"""Tests for autograder.artifacts.reload: the bridge that starts the child only for loadable
reports and treats whatever the child wrote as untrusted data."""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

from autograder.artifacts import reload as reload_module
from autograder.artifacts.analysis import analyze
from autograder.artifacts.enums import Stage
from autograder.artifacts.reload import Reloaded, reload, select_output


@pytest.fixture
def array_file(tmp_path):
    path = tmp_path / "a.pkl"
    path.write_bytes(pickle.dumps(np.arange(4.0)))
    return path


def test_an_unsafe_report_never_starts_a_child(tmp_path, monkeypatch):
    path = tmp_path / "bad.pkl"
    path.write_bytes(b"cos\nsystem\n(S'true'\ntR.")
    monkeypatch.setattr(reload_module, "run", lambda *a, **k: pytest.fail("started"))
    with pytest.raises(ValueError, match="refusing to load"):
        reload(analyze(path), tmp_path)


def test_outputs_come_back_as_arrays(array_file, tmp_path):
    got = reload(analyze(array_file), array_file, method="value")
    assert got.ok and got.stage == "done" and got.output_names == ("output0",)
    np.testing.assert_array_equal(got.outputs[0], np.arange(4.0))
    assert got.network_isolated in (True, False) and got.seconds > 0


def fake_child(monkeypatch, code: str) -> None:
    """Replace the child by a script that writes whatever a hostile child could write."""
    def command(report, inputs, out, **kwargs):
        return [sys.executable, "-c", code, str(out)]
    monkeypatch.setattr(reload_module, "child_command", command)


@pytest.mark.parametrize("code, stage", [
    ("import sys; open(sys.argv[1] + '/status.json', 'w').write('{not json')", "crashed"),
    ("import sys; open(sys.argv[1] + '/status.json', 'w').write('[1, 2]')", "crashed"),
    ("import sys; open(sys.argv[1] + '/status.json', 'w').write(' ' * 2_000_000 + '{}')",
     "crashed"),
    ("import sys; sys.exit(3)", "crashed"),
    ("import sys; open(sys.argv[1] + '/status.json', 'w').write('{\"stage\": \"elsewhere\"}')",
     "crashed"),
])
def test_a_malformed_status_is_a_crash(array_file, monkeypatch, code, stage):
    fake_child(monkeypatch, code)
    assert reload(analyze(array_file), array_file).stage == stage


def test_pickled_outputs_are_never_loaded(array_file, monkeypatch):
    fake_child(monkeypatch, """
import sys, json, numpy as np
out = sys.argv[1]
np.save(out + '/out_0.npy', np.array([object()], dtype=object), allow_pickle=True)
open(out + '/status.json', 'w').write(json.dumps({'stage': 'done', 'outputs': ['x']}))
""")
    got = reload(analyze(array_file), array_file)
    assert got.stage == "crashed" and "unreadable outputs" in got.error


def test_select_output():
    got = Reloaded(stage=Stage.DONE, outputs=(np.array([0, 1]), np.array([[0.9, 0.1],
                                                                          [0.2, 0.8]])),
                   output_names=("label", "probabilities"))
    assert select_output(got, "onnx", "predict", None).tolist() == [0, 1]
    assert select_output(got, "onnx", "predict_proba", None).shape == (2, 2)
    assert select_output(got, "onnx", "predict", "probabilities").shape == (2, 2)
    assert select_output(got, "onnx", "predict", 1).shape == (2, 2)
    assert select_output(got, "onnx", "predict", "missing") is None
    assert select_output(got, "onnx", "predict", 5) is None
    assert select_output(Reloaded(stage=Stage.DONE), "pickle", "predict", None) is None
