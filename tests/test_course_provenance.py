"""autograder.course.provenance: metadata that traces a model to its data, code and libraries."""

import json

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autograder.course import credit, provenance


def train(X, y):
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def test_metadata_records_data_code_and_libraries_and_notices_a_changed_cent(tmp_path):
    X_train, X_test, y_train, y_test = credit.split()
    meta = provenance.metadata(train(X_train, y_train), "LogisticRegression", train,
                               (X_train, y_train), (X_test, y_test), data_file=credit.DATA_PATH,
                               split_seed=0, seed=42, extra={"decision_threshold": 0.3})
    json.dumps(meta)  # metadata.json must hold it
    assert meta["features"] == list(X_train.columns) and meta["decision_threshold"] == 0.3
    assert meta["libraries"]["scikit-learn"] and len(meta["code"]["training_code_sha256"]) == 64
    assert provenance.data_problems(meta, X_train, y_train, credit.DATA_PATH) == []
    edited = credit.load_credit()
    edited.loc[X_train.index[0], "annual_income"] += 0.01
    path = tmp_path / "edited.csv"
    edited.to_csv(path, index=False)
    X2, _, y2, _ = credit.split(credit.load_credit(path), seed=0)
    problems = provenance.data_problems(meta, X2, y2, path)
    assert len(problems) == 2 and "edited.csv changed" in problems[0]


def test_the_table_shows_one_short_row_per_leaf():
    meta = {"scores": {"accuracy": 0.861}, "features": ["a", "b", "c", "d"],
            "data": {"train_sha256": "ab" * 32}, "code": {"git_commit": None}}
    shown = provenance.table(meta)["value"]
    assert isinstance(shown, pd.Series)
    assert shown["scores.accuracy"] == "86.1 %" and shown["data.train_sha256"] == "abababababab…"
    assert shown["features"].startswith("4 names: a, b, c") and shown["code.git_commit"] == "—"


def test_the_same_tags_are_written_to_four_places(tmp_path):
    import joblib
    import numpy as np
    import onnx
    from safetensors import safe_open

    tags = {"version": "v1.0", "features": "a,b"}
    model = onnx.helper.make_model(onnx.helper.make_graph(
        [onnx.helper.make_node("Identity", ["x"], ["y"])], "g",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])]))
    paths = provenance.write_places(tmp_path / "places", tags, model={"weights": [1.0]},
                                    arrays={"w": np.ones(2, np.float32)}, onnx_model=model)
    assert joblib.load(paths["model.joblib"]) == {"model": {"weights": [1.0]}, **tags}
    with safe_open(paths["model.safetensors"], "np") as f:
        assert f.metadata() == tags
    props = onnx.load(paths["model.onnx"]).metadata_props
    assert {p.key: p.value for p in props} == tags
    assert json.loads(paths["metadata.json"].read_text()) == tags
