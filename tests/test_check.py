"""Tests for autograder.check: real artifacts, checked in a real fresh Python process.

Every `check_artifact` call here spawns `python -I -c ...`, so fitted models and saved files are
shared through module-scoped fixtures. The autouse `stderr_stays_empty` fixture asserts, at the
file-descriptor level, that nothing reached stderr: nbgrader scores a grade cell 0 otherwise.

The check reads every file statically before anything loads it, and refuses globals outside
the allowlist. Tests that need a payload to reach the child (a slow load, a dying process, an
unimportable module) therefore pass `trusted=` for exactly that global: they test the sandbox,
not the static gate (tests/test_artifacts_analysis.py does that).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pickle
import sys
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from payload import Payload
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from autograder.check import (
    CheckResult,
    check_artifact,
    explain_load_error,
)
from autograder.common import units
from autograder.course.credit import split

N_TRAIN, N_TEST = 800, 120


class NotebookClipper(BaseEstimator, TransformerMixin):
    """A transformer as a student writes it in a notebook cell."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(np.asarray(X, dtype=float), -3, 3)


def notebook_log(X):
    return np.log1p(np.abs(np.asarray(X, dtype=float)))


class NoisyModel:
    """A live model whose predict() warns and prints to stderr."""

    def __init__(self, model):
        self.model = model

    def predict(self, X):
        warnings.warn("a library warning", UserWarning, stacklevel=1)
        print("a library message", file=sys.stderr)
        return self.model.predict(X)



# ---------------------------------------------------------------- shared models and files


@pytest.fixture(scope="module")
def data():
    X_train, X_test, y_train, _ = split()
    return X_train.iloc[:N_TRAIN], X_test.iloc[:N_TEST], y_train.iloc[:N_TRAIN]


@pytest.fixture(scope="module")
def model(data):
    """A small pipeline fitted on a DataFrame: it has feature names."""
    X_train, _, y_train = data
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)


@pytest.fixture(scope="module")
def X_test(data):
    return data[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory, model):
    """The good artifacts: one pickle and joblib files with several compressors."""
    folder = tmp_path_factory.mktemp("artifacts")
    with open(folder / "model.pkl", "wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
    joblib.dump(model, folder / "model_c0.joblib", compress=0)
    joblib.dump(model, folder / "model_c3.joblib", compress=3)
    joblib.dump(model, folder / "model_lzma.joblib", compress=("lzma", 3))
    joblib.dump(model, folder / "model_gzip.joblib", compress=("gzip", 3))
    joblib.dump(model, folder / "joblib_named.pkl", compress=0)
    return folder


@pytest.fixture(autouse=True)
def stderr_stays_empty(capfd):
    capfd.readouterr()
    yield
    assert capfd.readouterr().err == ""


def assert_one_line(result: CheckResult) -> None:
    assert isinstance(result, CheckResult)
    assert result.message and "\n" not in result.message and "\r" not in result.message
    assert str(result) == result.message


def assert_not_loaded(result: CheckResult, path: Path) -> None:
    assert_one_line(result)
    assert (result.ok, result.loaded, result.identical) == (False, False, False)
    assert result.path == str(path)


def save_pickle(obj, path: Path) -> Path:
    with open(path, "wb") as f:
        pickle.dump(obj, f)
    return path


# ---------------------------------------------------------------- good artifacts


@pytest.mark.parametrize("name", ["model.pkl", "model_c0.joblib", "model_c3.joblib",
                                  "model_lzma.joblib", "joblib_named.pkl"])
def test_good_artifact_reloads_identically(folder, model, X_test, name):
    path = folder / name
    result = check_artifact(path, model, X_test)
    assert_one_line(result)
    assert result.ok and result.loaded and result.identical, result.message
    assert result.n_differ == 0 and result.max_abs_diff == 0.0
    assert result.n_rows == len(X_test) == N_TEST
    assert result.size_bytes == path.stat().st_size
    assert result.load_seconds > 0
    assert result.path == str(path)
    assert "identically" in result.message and f"{N_TEST:,} rows" in result.message
    assert name in result.message


def test_numpy_inputs_string_labels_and_a_forest(tmp_path, data):
    X_train, X_test, y_train = data
    labels = y_train.map({0: "repaid", 1: "default"})
    forest = RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0, n_jobs=1)
    forest.fit(X_train.to_numpy(), labels)
    assert set(forest.predict(X_test.to_numpy())) == {"repaid", "default"}
    path = save_pickle(forest, tmp_path / "forest.pkl")
    result = check_artifact(path, forest, X_test.to_numpy())
    assert_one_line(result)
    assert result.ok, result.message
    assert result.n_rows == N_TEST and result.n_differ == 0
    assert np.isnan(result.max_abs_diff)  # labels are strings: no numeric difference
    assert "identically" in result.message


def test_predict_proba_is_compared_exactly(tmp_path, folder, model, X_test):
    exact = check_artifact(folder / "model.pkl", model, X_test, method="predict_proba")
    assert_one_line(exact)
    assert exact.ok and exact.n_differ == 0 and exact.max_abs_diff == 0.0, exact.message

    # Nudge the intercept by one ulp: predict() is unchanged, predict_proba() is not.
    nudged = pickle.loads(pickle.dumps(model))
    logistic = nudged[-1]
    logistic.intercept_ = np.nextafter(logistic.intercept_, np.inf)
    assert np.array_equal(nudged.predict(X_test), model.predict(X_test))
    proba_differ = int((nudged.predict_proba(X_test) != model.predict_proba(X_test))
                       .any(axis=1).sum())
    assert proba_differ > 0
    path = save_pickle(nudged, tmp_path / "nudged.pkl")

    labels = check_artifact(path, model, X_test)
    assert labels.ok, labels.message
    probabilities = check_artifact(path, model, X_test, method="predict_proba")
    assert_one_line(probabilities)
    assert probabilities.loaded and not probabilities.ok and not probabilities.identical
    assert probabilities.n_differ == proba_differ
    assert 0 < probabilities.max_abs_diff < 1e-12
    assert "disagrees" in probabilities.message


# ---------------------------------------------------------------- the classic mistakes


def test_class_defined_in_main(tmp_path, monkeypatch, data, X_test):
    X_train, _, y_train = data
    # What a notebook does: the class lives in __main__.
    monkeypatch.setattr(NotebookClipper, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "NotebookClipper", NotebookClipper,
                        raising=False)
    clipped = make_pipeline(StandardScaler(), NotebookClipper(), LogisticRegression())
    clipped.fit(X_train, y_train)
    path = save_pickle(clipped, tmp_path / "clipped.pkl")
    assert pickle.loads(path.read_bytes()).predict(X_test).shape == (N_TEST,)  # fine here

    result = check_artifact(path, clipped, X_test)
    assert_not_loaded(result, path)
    assert "'NotebookClipper'" in result.message and "__main__" in result.message
    assert "module" in result.message
    assert "nothing was run" in result.message  # found statically, before any process loaded it
    assert result.verdict == "unsafe" and result.format == "pickle"
    assert result.size_bytes == path.stat().st_size


def test_function_defined_in_main(tmp_path, monkeypatch, data, X_test):
    X_train, _, y_train = data
    monkeypatch.setattr(notebook_log, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "notebook_log", notebook_log, raising=False)
    logged = make_pipeline(FunctionTransformer(notebook_log), StandardScaler(),
                           LogisticRegression())
    logged.fit(X_train, y_train)
    path = joblib.dump(logged, tmp_path / "logged.joblib")[0]

    result = check_artifact(path, logged, X_test)
    assert_not_loaded(result, Path(path))
    assert "'notebook_log'" in result.message and "__main__" in result.message


def test_text_mode_leaves_an_empty_file(tmp_path, model, X_test):
    path = tmp_path / "text_mode.pkl"
    with pytest.raises(TypeError):
        with open(path, "w") as f:
            pickle.dump(model, f)
    assert path.stat().st_size == 0

    result = check_artifact(path, model, X_test)
    assert result.network_isolated is None and result.isolation == ()  # no child ran
    assert_not_loaded(result, path)
    assert result.size_bytes == 0
    assert "empty" in result.message and "'wb'" in result.message


@pytest.mark.parametrize("estimator", ["model", "svc"])
def test_text_instead_of_a_pickle(tmp_path, model, X_test, estimator):
    # str(SVC()) starts with "S", which is also protocol 0's STRING opcode.
    text = str(model) if estimator == "model" else str(SVC())
    path = tmp_path / f"{estimator}.pkl"
    path.write_text(text)
    result = check_artifact(path, model, X_test)
    assert_not_loaded(result, path)
    assert "holds text, not a pickle" in result.message and "'wb'" in result.message
    assert repr(text[:30]) in result.message


@pytest.mark.parametrize("name", ["model.pkl", "model_c3.joblib", "model_c0.joblib",
                                  "model_gzip.joblib", "model_lzma.joblib"])
def test_truncated_file(tmp_path, folder, model, X_test, name):
    data = (folder / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    result = check_artifact(path, model, X_test)
    assert_not_loaded(result, path)
    assert "truncated" in result.message
    assert f"{len(data) // 2:,} bytes" in result.message


def test_missing_file_suggests_a_close_match(folder, model, X_test):
    typo = folder / "modle.pkl"
    result = check_artifact(typo, model, X_test)
    assert_not_loaded(result, typo)
    assert result.message.startswith(f"No file at '{typo}'")
    assert f"Did you mean '{folder / 'model.pkl'}'?" in result.message
    assert result.size_bytes == 0 and result.load_seconds == 0.0


def test_missing_file_without_a_close_match(tmp_path, model, X_test):
    (tmp_path / "notes.txt").write_text("x")
    for path in (tmp_path / "credit_model.pkl", tmp_path / "no_such_folder" / "m.pkl"):
        result = check_artifact(path, model, X_test)
        assert_not_loaded(result, path)
        assert "No file at" in result.message
        assert "Did you mean" not in result.message


def test_folder_instead_of_a_file(tmp_path, model, X_test):
    result = check_artifact(tmp_path, model, X_test)
    assert_not_loaded(result, tmp_path)
    assert "is a folder, not a file" in result.message


def test_module_the_fresh_process_cannot_import(tmp_path, model, X_test):
    path = tmp_path / "needs_module.pkl"
    path.write_bytes(b"\x80\x04cnot_installed_mod\nCreditModel\n)\x81.")
    refused = check_artifact(path, model, X_test)  # not on the allowlist: never loaded
    assert_not_loaded(refused, path)
    assert "'not_installed_mod.CreditModel'" in refused.message and "allowlist" in refused.message
    assert refused.verdict == "unsafe" and refused.network_isolated is None

    result = check_artifact(path, model, X_test, trusted=[("not_installed_mod", "CreditModel")])
    assert_not_loaded(result, path)
    assert "'not_installed_mod'" in result.message and "cannot import" in result.message


def test_attribute_missing_from_an_installed_module(tmp_path, model, X_test):
    path = tmp_path / "renamed.pkl"
    path.write_bytes(b"\x80\x04csklearn.linear_model\nLogisticRegressionV2\n)\x81.")
    for trusted in ([], [("sklearn.linear_model", "LogisticRegressionV2")]):
        result = check_artifact(path, model, X_test, trusted=trusted)
        assert_not_loaded(result, path)
        assert "'sklearn.linear_model.LogisticRegressionV2'" in result.message


def test_fresh_process_cannot_see_the_notebook_folder(tmp_path, monkeypatch, data, X_test):
    """A module importable in the parent (sys.path, PYTHONPATH, working folder) is not in
    the child: this is the isolation the check promises."""
    X_train, _, y_train = data
    helpers = tmp_path / "notebook_helpers_for_check.py"
    helpers.write_text(
        "import numpy as np\n"
        "from sklearn.base import BaseEstimator, TransformerMixin\n\n\n"
        "class Halver(BaseEstimator, TransformerMixin):\n"
        "    def fit(self, X, y=None):\n"
        "        return self\n\n"
        "    def transform(self, X):\n"
        "        return np.asarray(X, dtype=float) / 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, helpers.stem, raising=False)
    module = importlib.import_module(helpers.stem)
    monkeypatch.setitem(sys.modules, helpers.stem, module)  # removed again after the test

    halved = make_pipeline(module.Halver(), StandardScaler(), LogisticRegression())
    halved.fit(X_train, y_train)
    path = save_pickle(halved, tmp_path / "halved.pkl")
    assert np.array_equal(pickle.loads(path.read_bytes()).predict(X_test),
                          halved.predict(X_test))  # the parent loads it fine

    result = check_artifact(path, halved, X_test, trusted=[(helpers.stem, "Halver")])
    assert_not_loaded(result, path)
    assert f"'{helpers.stem}'" in result.message and "cannot import" in result.message


def test_a_different_model_disagrees(tmp_path, data, model, X_test):
    X_train, _, y_train = data
    other = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=1, n_jobs=1)
    other.fit(X_train, y_train)
    expected = int((other.predict(X_test) != model.predict(X_test)).sum())
    assert expected > 0
    path = save_pickle(other, tmp_path / "other.pkl")

    result = check_artifact(path, model, X_test)
    assert_one_line(result)
    assert (result.ok, result.loaded, result.identical) == (False, True, False)
    assert result.n_differ == expected and result.n_rows == N_TEST
    assert result.max_abs_diff == 1.0
    assert result.load_seconds > 0
    assert "disagrees" in result.message and f"{expected:,} of {N_TEST:,} rows" in result.message


def test_labels_of_another_type_disagree(folder, data, X_test):
    X_train, _, y_train = data
    named = make_pipeline(StandardScaler(), LogisticRegression())
    named.fit(X_train, y_train.map({0: "repaid", 1: "default"}))
    # The saved model predicts 0/1, the live one "repaid"/"default".
    result = check_artifact(folder / "model.pkl", named, X_test)
    assert_one_line(result)
    assert result.loaded and not result.ok
    assert result.n_differ == N_TEST and np.isnan(result.max_abs_diff)
    assert "disagrees" in result.message and "max abs" not in result.message


def test_output_of_another_shape(tmp_path, data, model, X_test):
    X_train, _, y_train = data
    three = make_pipeline(StandardScaler(), LogisticRegression())
    three.fit(X_train, y_train + (X_train["age"] > 50).to_numpy())
    path = save_pickle(three, tmp_path / "three_classes.pkl")
    result = check_artifact(path, model, X_test, method="predict_proba")
    assert_one_line(result)
    assert result.loaded and not result.ok
    assert f"({N_TEST}, 3)" in result.message and f"({N_TEST}, 2)" in result.message


def test_a_dict_has_no_predict(tmp_path, model, X_test):
    path = save_pickle({"model": model, "version": 1}, tmp_path / "bundle.pkl")
    result = check_artifact(path, model, X_test)
    assert_one_line(result)
    assert (result.ok, result.loaded) == (False, True)
    assert "holds a dict" in result.message and "has no predict()" in result.message


def test_an_unfitted_model_was_saved(tmp_path, model, X_test):
    path = save_pickle(make_pipeline(StandardScaler(), LogisticRegression()),
                       tmp_path / "unfitted.pkl")
    result = check_artifact(path, model, X_test)
    assert_one_line(result)
    assert (result.ok, result.loaded) == (False, True)
    assert "predict() failed in a fresh process" in result.message
    assert "NotFittedError" in result.message


def test_the_live_model_fails(folder, model, X_test):
    unfitted = LogisticRegression()
    with pytest.raises(NotFittedError):
        unfitted.predict(X_test)
    result = check_artifact(folder / "model.pkl", unfitted, X_test)
    assert_one_line(result)
    assert (result.ok, result.loaded) == (False, False)
    assert result.size_bytes == (folder / "model.pkl").stat().st_size
    assert "in-memory model's predict() failed" in result.message
    assert "NotFittedError" in result.message

    # scikit-learn's feature-name error spans several lines; the message stays one line.
    renamed = X_test.rename(columns={"age": "AGE"})
    with pytest.raises(ValueError, match="feature names"):
        model.predict(renamed)
    result = check_artifact(folder / "model.pkl", model, renamed)
    assert_one_line(result)
    assert "in-memory model's predict() failed: ValueError" in result.message
    assert "feature names" in result.message

    result = check_artifact(folder / "model.pkl", model, X_test, method="transform")
    assert_one_line(result)
    assert "in-memory model's transform() failed: AttributeError" in result.message


def test_timeout_stops_a_slow_load(tmp_path, model, X_test):
    path = save_pickle(Payload(time.sleep, 30), tmp_path / "slow.pkl")
    result = check_artifact(path, model, X_test, timeout=2, trusted=[("time", "sleep")])
    assert_not_loaded(result, path)
    assert "longer than 2 s" in result.message and "stopped" in result.message


def test_a_process_that_dies(tmp_path, model, X_test):
    path = save_pickle(Payload(os._exit, 3), tmp_path / "exits.pkl")
    result = check_artifact(path, model, X_test, trusted=[(os._exit.__module__, "_exit")])
    assert_not_loaded(result, path)
    assert "died (exit code 3)" in result.message


def test_output_of_the_fresh_process_stays_off_stderr(tmp_path, model, X_test):
    # Loading this pickle writes straight to file descriptor 2, then yields an int.
    path = save_pickle(Payload(os.write, 2, b"noise from the fresh process\n"),
                       tmp_path / "noisy.pkl")
    result = check_artifact(path, model, X_test, trusted=[(os.write.__module__, "write")])
    assert_one_line(result)
    assert result.loaded and "holds a int" in result.message


def test_live_model_warnings_stay_off_stderr(folder, model, X_test):
    result = check_artifact(folder / "model.pkl", NoisyModel(model), X_test)
    assert result.ok, result.message


def test_result_is_frozen(folder, model, X_test):
    result = check_artifact(folder / "nothing.pkl", model, X_test)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = True  # type: ignore[misc]


# ---------------------------------------------------------------- the helpers


def test_the_format_comes_from_the_content(folder, tmp_path):
    from autograder.artifacts.analysis import analyze

    assert analyze(folder / "model.pkl").format == "pickle"
    # joblib.dump(compress=0) into a .pkl: raw array bytes only joblib.load reads correctly.
    assert analyze(folder / "joblib_named.pkl").format == "joblib"
    for name in ("model_c3.joblib", "model_lzma.joblib", "model_gzip.joblib"):
        renamed = tmp_path / name.replace(".joblib", ".pkl")
        renamed.write_bytes((folder / name).read_bytes())
        assert analyze(renamed).format == "joblib"


@pytest.mark.parametrize("error_type, error", [
    ("UnpicklingError", "pickle data was truncated"),
    ("EOFError", "Ran out of input"),
    ("EOFError", ""),
    ("EOFError", "Compressed file ended before the end-of-stream marker was reached"),
    # joblib reads with the pure-Python unpickler, which runs out of data in other ways:
    ("UnpicklingError", "pickle exhausted before end of frame"),
    ("ValueError", "EOF: reading array data, expected 32 bytes got 6"),
    ("error", "unpack requires a buffer of 8 bytes"),
    ("IndexError", "index out of range"),
])
def test_truncation_errors_are_explained(error_type, error):
    message = explain_load_error("m.joblib", error_type, error, b"\x78\x9c\x01\x02", 1234)
    assert "truncated" in message and "1,234 bytes" in message and "\n" not in message


def test_unknown_load_errors_are_reported_as_they_are():
    message = explain_load_error("m.pkl", "KeyError", "'x'", b"\x80\x05\x95", 10)
    assert message == "'m.pkl' could not be loaded in a fresh process: KeyError: 'x'"


def test_sizes_in_messages_are_written_by_common_units():
    assert units.size(999) == "999 bytes"
    assert units.size(1500) == "1.5 KB"
    assert units.size(2_500_000) == "2.5 MB"


def test_results_are_plain_data(folder, model, X_test):
    result = check_artifact(folder / "nothing.pkl", model, X_test)
    fields = dataclasses.asdict(result)
    # The ten fields lessons use, then what the static analysis and the sandbox add.
    assert list(fields)[:10] == ["path", "ok", "loaded", "identical", "n_rows", "n_differ",
                                 "max_abs_diff", "load_seconds", "size_bytes", "message"]
    assert list(fields)[10:] == ["format", "verdict", "findings", "n_ties", "network_isolated",
                                 "isolation", "mistake"]
    # the catalogued mistake, named at the end of the message too (course.mistakes)
    assert result.mistake == "wrong-path" and result.message.endswith("(mistake: wrong-path)")


# ---------------------------------------------------------------- torch and ONNX artifacts


@pytest.fixture(scope="module")
def mlp(data):
    """A small trained CreditMLP and float32 probe inputs."""
    import torch

    from autograder.course.models import CreditMLP

    X_train, X_test, y_train = data
    mean, std = X_train.mean(), X_train.std()
    torch.manual_seed(0)
    model = CreditMLP(n_features=X_train.shape[1], hidden=(8,))
    X = torch.tensor(((X_train - mean) / std).to_numpy(), dtype=torch.float32)
    target = torch.tensor(y_train.to_numpy())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(20):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X), target).backward()
        optimizer.step()
    probe = torch.tensor(((X_test - mean) / std).to_numpy(), dtype=torch.float32)
    return model, probe


def test_torch_weights_reload_into_the_course_class(tmp_path, mlp):
    import torch
    from safetensors.torch import save_file

    model, probe = mlp
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    save_file(model.state_dict(), tmp_path / "weights.safetensors")
    for name, fmt in (("weights.pt", "torch"), ("weights.safetensors", "safetensors")):
        result = check_artifact(tmp_path / name, model, probe)
        assert_one_line(result)
        assert result.ok, result.message
        assert (result.format, result.verdict) == (fmt, "safe")
        assert result.max_abs_diff == 0.0 and result.n_rows == len(probe)
    assert model.training  # the check put the live model back in the mode it found it in


def test_torchscript_and_export_reload_identically(tmp_path, mlp):
    import torch

    model, probe = mlp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(model.eval()), tmp_path / "scripted.pt")
    batch = torch.export.Dim("batch")
    exported = torch.export.export(model.eval(), (probe[:4],), dynamic_shapes={"x": {0: batch}})
    torch.export.save(exported, tmp_path / "exported.pt2")
    for name, fmt in (("scripted.pt", "torchscript"), ("exported.pt2", "pt2")):
        result = check_artifact(tmp_path / name, model, probe.numpy())
        assert_one_line(result)
        assert result.ok and result.verdict == "sandbox-only", result.message
        assert result.format == fmt and "only in the sandbox" in result.message


def test_onnx_from_torch_within_tolerance(tmp_path, mlp, capfd):
    import torch

    model, probe = mlp
    batch = torch.export.Dim("batch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (probe[:4],), tmp_path / "mlp.onnx", dynamo=True,
                          dynamic_shapes={"x": {0: batch}}, verbose=False)
    capfd.readouterr()  # the exporter's own log lines are not the check's output
    result = check_artifact(tmp_path / "mlp.onnx", model, probe)
    assert_one_line(result)
    assert result.ok and result.format == "onnx", result.message
    assert "tolerance" in result.message and result.max_abs_diff < 1e-5
    strict = check_artifact(tmp_path / "mlp.onnx", model, probe, rtol=0, atol=0)
    assert strict.loaded and strict.ok == (strict.max_abs_diff == 0.0)


def test_onnx_from_scikit_learn(tmp_path, data):
    from skl2onnx import to_onnx

    X_train, X_test, y_train = data
    X32 = X_train.to_numpy(dtype=np.float32)
    forest = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=15,
                                                                    random_state=0))
    forest.fit(X32, y_train)
    path = tmp_path / "forest.onnx"
    path.write_bytes(to_onnx(forest, X32[:1], options={"zipmap": False}).SerializeToString())
    probe = X_test.to_numpy(dtype=np.float32)
    labels = check_artifact(path, forest, probe)
    assert_one_line(labels)
    assert labels.ok, labels.message
    proba = check_artifact(path, forest, probe, method="predict_proba", atol=0.1)
    assert proba.ok and proba.max_abs_diff <= 0.1, proba.message
    by_name = check_artifact(path, forest, probe, output="label")
    assert by_name.ok
    missing = check_artifact(path, forest, probe, output="nope")
    assert not missing.ok and "no output 'nope'" in missing.message


def test_weights_need_a_class_a_fresh_process_can_import(tmp_path, monkeypatch, mlp):
    import torch

    model, probe = mlp

    class NotebookNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model.net

        def forward(self, x):
            return self.net(x)

    monkeypatch.setattr(NotebookNet, "__module__", "__main__")
    notebook = NotebookNet()
    torch.save(notebook.state_dict(), tmp_path / "weights.pt")
    result = check_artifact(tmp_path / "weights.pt", notebook, probe)
    assert_not_loaded(result, tmp_path / "weights.pt")
    assert "'NotebookNet'" in result.message and "__main__" in result.message
    assert "autograder.course.models.CreditMLP" in result.message


def test_a_changed_weight_is_caught(tmp_path, mlp):
    import torch

    model, probe = mlp
    changed = {k: v.clone() for k, v in model.state_dict().items()}
    first = next(iter(changed))
    changed[first][0, 0] += 0.5
    torch.save(changed, tmp_path / "changed.pt")
    result = check_artifact(tmp_path / "changed.pt", model, probe)
    assert_one_line(result)
    assert result.loaded and not result.ok and result.n_differ > 0
    assert "disagrees" in result.message


def test_a_trusted_payload_is_still_stopped_in_the_sandbox(tmp_path, model, X_test):
    """Even when a caller trusts os.system, the child's audit hook refuses to run it."""
    canary = tmp_path / "canary"
    path = save_pickle(Payload(os.system, f"touch {canary}"), tmp_path / "trusted.pkl")
    result = check_artifact(path, model, X_test, trusted=[(os.system.__module__, "system")])
    assert_not_loaded(result, path)
    assert "PermissionError" in result.message and "sandbox" in result.message
    assert not canary.exists()
    assert result.network_isolated is not None


WITHOUT_RLIMITS_OR_LIBC = """
import ctypes, json, os, pickle, sys

sys.modules["resource"] = None  # Windows has no resource module: importing it fails
real_cdll = ctypes.CDLL


class NoProcessHandle(real_cdll):  # Windows cannot open the process's own C library
    def __init__(self, name, *args, **kwargs):
        if name is None:
            raise OSError("no CDLL(None) on this platform")
        super().__init__(name, *args, **kwargs)


ctypes.CDLL = NoProcessHandle
import autograder  # noqa: E402
from autograder.check import check_artifact  # noqa: E402
from payload import Payload  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

folder, canary = sys.argv[1], sys.argv[2]
X = [[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]
model = LogisticRegression().fit(X, [0, 0, 1, 1])
with open(os.path.join(folder, "honest.pkl"), "wb") as f:
    pickle.dump(model, f)
with open(os.path.join(folder, "payload.pkl"), "wb") as f:
    pickle.dump(Payload(os.system, f"touch {canary}"), f)
honest = check_artifact(os.path.join(folder, "honest.pkl"), model, X)
payload = check_artifact(os.path.join(folder, "payload.pkl"), model, X)
print(json.dumps({"honest": [honest.ok, list(honest.isolation), honest.message],
                  "payload": [payload.verdict, payload.message]}))
"""


def test_check_works_where_there_are_no_rlimits_and_no_libc(tmp_path):
    """As on Windows: no `resource` module, no ctypes.CDLL(None), so no rlimits and no
    namespaces. The package still imports, an honest pickle still checks (in a child with
    fewer walls, which the result lists) and a payload is refused by the static analysis."""
    import json
    import subprocess

    canary = tmp_path / "canary"
    done = subprocess.run([sys.executable, "-c", WITHOUT_RLIMITS_OR_LIBC, str(tmp_path),
                           str(canary)], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    ok, isolation, message = found["honest"]
    assert ok, message
    assert "resource limits" not in isolation and "no network" not in isolation
    assert {"temporary folder", "scrubbed environment", "wall-clock timeout"} <= set(isolation)
    assert found["payload"][0] == "unsafe" and "posix.system" in found["payload"][1]
    assert not canary.exists()
