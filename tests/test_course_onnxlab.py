"""autograder.course.onnxlab: lesson 04's helpers, on tiny models."""

import json
import logging

import numpy as np
import onnx
import pandas as pd
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autograder.course import mistakes, onnxlab

X = pd.DataFrame({"a": [0.0, 1.0, 0.5, 0.9, 0.1, 0.7], "b": [1.0, 0.0, 0.2, 0.8, 0.9, 0.3]})
Y = [0, 1, 0, 1, 0, 1]


@pytest.fixture(scope="module")
def scorecard():
    return LogisticRegression().fit(X, Y)


def convert(model, tensor=FloatTensorType, **options):
    return convert_sklearn(model, initial_types=[("input", tensor([None, 2]))], **options)


def save(tmp_path, onx, name="model.onnx", **props):
    if props:
        onnx.helper.set_model_props(onx, props)
    path = tmp_path / name
    path.write_bytes(onx.SerializeToString())
    return path


def test_the_contract_names_types_shapes_opsets_and_operators(scorecard):
    plain = convert(scorecard, options={"zipmap": False}, target_opset=17)
    assert [onnxlab.describe_value(v) for v in plain.graph.input] == ["input: float[?, 2]"]
    assert onnxlab.opsets(plain)["ai.onnx"] == 17
    assert "LinearClassifier" in onnxlab.operators(plain)
    shown = onnxlab.contract(plain)
    assert shown.data["type"].tolist() == ["float[?, 2]", "int64[?]", "float[?, 2]"]
    assert "ai.onnx 17" in shown.title and "LinearClassifier ×1" in shown.title
    zipmap = convert(scorecard)
    assert onnxlab.describe_value(zipmap.graph.output[1]).endswith(": sequence")


def test_a_session_has_the_threads_it_is_given(scorecard):
    model = convert(scorecard, options={"zipmap": False}).SerializeToString()
    for threads in (1, 2):
        session = onnxlab.session(model, threads=threads)
        assert session.get_session_options().intra_op_num_threads == threads
    session = onnxlab.session(model, enable_profiling=False)
    assert session.get_session_options().intra_op_num_threads == 1


def test_latencies_time_each_call_after_the_warmup():
    calls = []
    seconds = onnxlab.latencies(calls.append, 5, warmup=2)
    assert calls == [0, 1, 0, 1, 2, 3, 4] and seconds.shape == (5,) and (seconds >= 0).all()
    table = onnxlab.percentiles({"fast": np.full(10, 1e-5), "slow": np.full(10, 1e-3)}, title="t")
    assert table.data.loc["slow", "p99"] == pytest.approx(1e-3) and table.kinds["p50"] == "duration"


def test_export_problems_name_each_requirement(tmp_path, scorecard):
    onx = convert(scorecard, DoubleTensorType, options={"zipmap": False}, target_opset=17)
    good = save(tmp_path, onx, model_version="1", features=json.dumps(["a", "b"]))
    assert onnxlab.export_problems(good, scorecard, "1", 17) == []
    missing = onnxlab.export_problems(tmp_path / "nowhere.onnx", scorecard, "1", 17)
    assert mistakes.found(missing[0]) == ["wrong-path"]
    assert onnxlab.export_problems(str(good), scorecard, "1", 17) == [
        "Return the path as a pathlib.Path, not str."]
    bad = save(tmp_path, convert(scorecard), "bad.onnx", model_version="2", features="a,b")
    problems = " ".join(onnxlab.export_problems(bad, scorecard, "1", 8))
    assert "target_opset=8" in problems and "float64 input" in problems
    assert mistakes.found(problems) == ["zipmap-output"]
    assert "'model_version' should be '1', not '2'" in problems and "'features'" in problems


def test_prediction_problems_follow_the_checkers_policy(scorecard):
    labels, proba = scorecard.predict(X), scorecard.predict_proba(X)
    assert onnxlab.prediction_problems(labels, proba + 1e-8, scorecard, X) == []
    as_dicts = [dict(enumerate(row)) for row in proba]
    assert mistakes.found(onnxlab.prediction_problems(labels, as_dicts, scorecard, X)[0]) == [
        "zipmap-output"]
    assert "shapes" in onnxlab.prediction_problems(labels[:, None], proba, scorecard, X)[0]
    assert "floats" in onnxlab.prediction_problems(labels, proba.astype(int), scorecard, X)[0]
    assert "class order" in onnxlab.prediction_problems(labels, proba[:, ::-1], scorecard, X)[0]
    assert "labels differ" in onnxlab.prediction_problems(1 - labels, proba, scorecard, X)[0]


def test_verification_problems_point_to_the_mistake():
    checker = pd.Series({"labels differ": 0, "flips at ties": 6,
                         "probabilities beyond tolerance": 0, "passes": True})
    assert onnxlab.verification_problems(checker.to_dict(), checker) == []
    assert onnxlab.verification_problems([0, 6], checker) == ["Return a dict, not list."]
    found = {"labels differ": 6, "flips at ties": 0, "probabilities beyond tolerance": 2500,
             "passes": False}
    problems = onnxlab.verification_problems(found, checker)
    assert len(problems) == 4
    assert mistakes.found(" ".join(problems)) == ["float32-tie-flip", "float32-without-tolerance"]


def test_thresholds_between_evenly_spaced_values_sit_on_the_value_between():
    forest = RandomForestClassifier(n_estimators=1, bootstrap=False, random_state=0)
    forest.fit([[0.0], [2.0], [4.0]], [0, 1, 0])  # splits halfway: at 1 and at 3
    assert onnxlab.thresholds_on_values(forest, np.arange(5.0)[:, None]) == (2, 2)
    assert onnxlab.thresholds_on_values(forest, np.array([[0.0], [4.0]])) == (0, 2)


def test_a_crossing_is_a_split_that_float32_scaling_decides():
    from autograder.course import credit

    X_train, X_test, y_train, _ = credit.split()
    model = make_pipeline(StandardScaler(), RandomForestClassifier(
        n_estimators=5, max_samples=0.25, random_state=0)).fit(X_train, y_train)
    onx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, 10]))],
                          options={"zipmap": False})
    found = onnxlab.crossing(onx, model, X_test)
    assert found is not None
    assert (found.sklearn <= found.threshold) != (found.onnx <= found.threshold)
    assert found.value == X_test.iloc[found.row][found.feature]
    assert "goes left" in str(found) and "goes right" in str(found)
    same = onnxlab.scaled_by_onnx(onx, X_test)
    assert same.dtype == np.float32 and same.shape == X_test.shape


def test_train_mlp_is_reproducible_and_in_eval_mode():
    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(40, 10)).astype(np.float32), pd.Series(rng.integers(0, 2, 40))
    first, second = (onnxlab.train_mlp(Z, y, seed=3, epochs=3) for _ in range(2))
    assert not first.training
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_quiet_logs_keeps_torch_onnx_notices_off_stderr():
    logger = logging.getLogger("torch.onnx")
    before = logger.level
    try:
        onnxlab.quiet_logs()
        assert logger.getEffectiveLevel() == logging.ERROR
    finally:
        logger.setLevel(before)

