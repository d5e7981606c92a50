"""autograder.course.capstone: the reference release, loaders as text, fresh-process timings."""

import json
import os
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from autograder.check import check_artifact
from autograder.course import capstone
from autograder.course.capstone import FILE_NAMES, PIPELINE_FORMATS, TORCH_FORMATS

REVIEWED = ["sklearn.tree._tree.Tree"]
LOADERS = {  # the lesson's loaders, as the notebook writes them
    "pickle": ("import pickle", "with open(PATH, 'rb') as f:\n    model = pickle.load(f)"),
    "joblib": ("import joblib", "model = joblib.load(PATH)"),
    "skops": ("import skops.io",
              "extra = sorted(set(skops.io.get_untrusted_types(file=PATH)) - set(REVIEWED))\n"
              "if extra:\n    raise ValueError(f'asks to trust types nobody reviewed: {extra}')\n"
              "model = skops.io.load(PATH, trusted=REVIEWED)"),
    "onnx": ("import onnxruntime",
             "model = onnxruntime.InferenceSession(PATH, providers=['CPUExecutionProvider'])"),
    "safetensors": ("import json\nfrom safetensors import safe_open\n"
                    "from safetensors.torch import load_file\n"
                    "from autograder.course.models import CreditMLP",
                    "with safe_open(PATH, framework='pt') as f:\n"
                    "    hparams = json.loads(f.metadata()['hparams'])\n"
                    "model = CreditMLP(**hparams)\nmodel.load_state_dict(load_file(PATH))"),
    "pt2": ("import torch", "model = torch.export.load(PATH).module()"),
}


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 4)), np.arange(120) % 2
    pipeline = Pipeline([("scaler", StandardScaler()), ("pca", PCA(n_components=3)),
                         ("forest", RandomForestClassifier(n_estimators=4, random_state=0))])
    mlp = capstone.train_mlp(X, y, seed=1, epochs=1, hidden=(6,))
    return pipeline.fit(X, y), mlp, X


@pytest.fixture(scope="module")
def release(models, tmp_path_factory):
    pipeline, mlp, _ = models
    return capstone.reference_release(pipeline, mlp, tmp_path_factory.mktemp("release"),
                                      repeats=1)


def test_the_reference_release_writes_every_format_and_each_loads_back(models, release):
    pipeline, mlp, X = models
    assert list(release.paths) == [*PIPELINE_FORMATS, *TORCH_FORMATS]
    assert all(seconds > 0 for seconds in release.save_seconds.values())
    for fmt, path in release.paths.items():
        assert path.name == FILE_NAMES[fmt] and path.stat().st_size > 0
        predict = capstone.predictor(capstone.run_loader(LOADERS[fmt], path, REVIEWED))
        if fmt in TORCH_FORMATS:
            rows = X.astype(np.float32)
            with torch.no_grad():
                assert torch.equal(predict(rows), mlp(torch.from_numpy(rows))), fmt
        elif fmt == "onnx":
            np.testing.assert_allclose(predict(X)[1], pipeline.predict_proba(X), rtol=1e-4,
                                       atol=1e-6)
        else:
            assert np.array_equal(predict(X), pipeline.predict_proba(X)), fmt
    compressed, plain = (release.paths[f].stat().st_size for f in ("joblib", "pickle"))
    assert compressed < plain
    with pytest.raises(ValueError, match="unknown format 'parquet'"):
        capstone.save_reference(pipeline, "parquet", release.paths["pickle"])


def test_train_mlp_is_deterministic_and_returns_an_eval_model(models):
    _, mlp, X = models
    again = capstone.train_mlp(X, np.arange(len(X)) % 2, seed=1, epochs=1, hidden=(6,))
    assert not again.training and again.hparams == mlp.hparams
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(),
                                                 mlp.state_dict().values(), strict=True))


def test_the_skops_loader_refuses_a_file_that_asks_for_more(tmp_path):
    import skops.io

    asks_more = tmp_path / "asks_more.skops"
    skops.io.dump(Pipeline([("run", FunctionTransformer(os.system))]), asks_more)
    with pytest.raises(ValueError, match=r"nobody reviewed: \['posix.system'\]"):
        capstone.run_loader(LOADERS["skops"], asks_more, REVIEWED)


def test_fresh_load_times_imports_and_load_apart_in_a_new_process(tmp_path):
    path = tmp_path / "settings.pkl"
    path.write_bytes(pickle.dumps({"threshold": 0.5}))
    import_s, load_s = capstone.fresh_load(LOADERS["pickle"], path, REVIEWED)
    assert 0 < import_s < 60 and 0 < load_s < 60
    broken = ("import json", "model = json.loads(open(PATH).read())")  # a pickle is not JSON
    with pytest.raises(RuntimeError, match="'settings.pkl' in a fresh process failed: "
                                           "UnicodeDecodeError"):
        capstone.fresh_load(broken, path, REVIEWED)


def test_latency_is_the_median_of_one_row_calls():
    calls = []
    seconds = capstone.latency(calls.append, capstone.one_row_inputs(np.eye(5), 3))
    assert len(calls) == 3 and all(row.shape == (1, 5) for row in calls) and 0 <= seconds < 0.1


def test_release_problems_grades_each_format_on_its_own(models, tmp_path):
    pipeline, _, X = models

    def save(model, fmt, path):
        if fmt == "skops":
            raise RuntimeError("disk full")
        if fmt == "onnx":
            return str(capstone.save_reference(model, fmt, path))  # a str, not a Path
        if fmt == "joblib":
            joblib.dump(model, path)  # uncompressed
            return path
        return capstone.save_reference(model["forest"] if fmt == "pickle" else model, fmt, path)

    problems = capstone.release_problems(
        save, pipeline, PIPELINE_FORMATS, tmp_path,
        lambda path: check_artifact(path, pipeline, X, method="predict_proba"))
    assert problems["skops"] == "saving raised RuntimeError: disk full"
    assert problems["onnx"] == "return the path of the file you wrote, as a pathlib.Path"
    assert "X has 4 features, but RandomForestClassifier is expecting 3" in problems["pickle"]
    pickled = capstone.save_reference(pipeline, "pickle", tmp_path / "whole.pkl")  # the whole one
    problems = capstone.release_problems(
        lambda model, fmt, path: pickled if fmt == "pickle" else save(model, fmt, path), pipeline,
        ["pickle", "joblib"], tmp_path, lambda path: check_artifact(path, pipeline, X[:5]))
    assert problems["pickle"] == "" and problems["joblib"].startswith("not compressed: ")


def test_measure_release_shows_every_file_with_units(models, tmp_path, monkeypatch):
    pipeline, _, X = models
    monkeypatch.setenv("AUTOGRADER_QUICK", "1")
    path = capstone.save_reference(pipeline, "pickle", tmp_path / "model.pkl")
    table = capstone.measure_release(capstone.Release({"pickle": path}, {"pickle": 0.01}),
                                     LOADERS, REVIEWED, {"pickle": X})
    row = table.data.loc["pickle"]
    assert row["size"] == path.stat().st_size
    assert row["fresh start"] == pytest.approx(row["imports"] + row["load"])
    assert "median of 5 one-row calls" in table.title
    assert "size (KB)" in table.to_text() and json.dumps(table.record)
