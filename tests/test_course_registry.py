"""Tests for autograder.course.registry: real models, real symlinks, verification in a real
fresh process.

Each promotion or rollback that passes the hash check spawns `python -I`, so the fitted models are
module-scoped and each test builds only the registry state it needs.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from autograder.course.credit import probe_rows, split
from autograder.course.registry import (
    ARTIFACT,
    EXPECTED,
    INDEX_COLUMNS,
    METADATA,
    Audit,
    Change,
    RecordedOutputs,
    Registry,
    file_sha256,
    switch_symlink,
    version_key,
)


class TestsOnlyScaler(BaseEstimator, TransformerMixin):
    """Importable here, but not in a fresh `python -I` process: it lives in the test module."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float) / 1000.0


@pytest.fixture(scope="module")
def data():
    X_train, X_test, y_train, y_test = split()
    return X_train.iloc[:1500], y_train.iloc[:1500], X_test.iloc[:300], y_test.iloc[:300]


@pytest.fixture(scope="module")
def models(data):
    X, y, _, _ = data
    return {
        "a": make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(X, y),
        "b": make_pipeline(StandardScaler(), LogisticRegression(C=0.01)).fit(X, y),
        "local": make_pipeline(TestsOnlyScaler(), LogisticRegression()).fit(X, y),
    }


@pytest.fixture(scope="module")
def probe():
    return probe_rows(60, seed=7)


@pytest.fixture
def registry(tmp_path):
    return Registry(tmp_path / "models")


@pytest.fixture(autouse=True)
def stderr_stays_empty(capfd):
    capfd.readouterr()
    yield
    assert capfd.readouterr().err == ""


def meta(model, data) -> dict:
    _, _, X_test, y_test = data
    return {"model": "LogisticRegression", "features": list(X_test.columns),
            "scores": {"accuracy": float(model.score(X_test, y_test))}}


def registered(registry, models, data, probe, *names) -> Registry:
    for version, key in zip(names, "ab", strict=False):
        outcome = registry.register(version, models[key], meta(models[key], data), probe)
        assert outcome.ok, outcome.message
    return registry


def assert_one_line(result) -> None:
    assert isinstance(result, Change | Audit)
    assert result.message and "\n" not in result.message
    assert str(result) == result.message


# ---------------------------------------------------------------- switch_symlink


def test_switch_symlink_creates_and_replaces_a_relative_link(tmp_path):
    (tmp_path / "v1.0").mkdir()
    (tmp_path / "v1.1").mkdir()
    link = tmp_path / "current"
    switch_symlink(link, "v1.0")
    assert os.readlink(link) == "v1.0"
    switch_symlink(link, "v1.1")
    assert os.readlink(link) == "v1.1" and link.resolve() == (tmp_path / "v1.1").resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "v1.0", "v1.1"]


def test_switch_symlink_never_deletes_the_link(tmp_path, monkeypatch):
    (tmp_path / "v1.0").mkdir()
    link = tmp_path / "current"
    switch_symlink(link, "v1.0")

    def forbidden(path, *args, **kwargs):
        raise AssertionError(f"unlink({path}) during a switch")

    monkeypatch.setattr(os, "unlink", forbidden)
    monkeypatch.setattr(os, "remove", forbidden)
    switch_symlink(link, "v2.0")  # a dangling target is the caller's business, not the switch's
    assert os.readlink(link) == "v2.0"


def test_relative_links_survive_copying_the_folder(tmp_path):
    models = tmp_path / "models"
    (models / "v1.0").mkdir(parents=True)
    (models / "v1.0" / "marker").write_text("v1.0")
    switch_symlink(models / "current", "v1.0")
    copy = shutil.copytree(models, tmp_path / "backup", symlinks=True)
    shutil.rmtree(models)
    assert (copy / "current" / "marker").read_text() == "v1.0"


def test_recorded_outputs_answer_only_the_recorded_method():
    outputs = np.arange(6.0).reshape(3, 2)
    stand_in = RecordedOutputs("predict_proba", outputs)
    assert stand_in.predict_proba("any input") is outputs
    with pytest.raises(AttributeError):
        stand_in.predict  # noqa: B018 - the attribute access is the test


def test_version_key_sorts_numerically():
    assert sorted(["v1.10", "v1.9", "v2.0", "v1.0"], key=version_key) == \
        ["v1.0", "v1.9", "v1.10", "v2.0"]


# ---------------------------------------------------------------- register


def test_register_writes_artifact_metadata_golden_outputs_and_index(registry, models, data, probe):
    outcome = registry.register("v1.0", models["a"], meta(models["a"], data), probe)
    assert_one_line(outcome)
    assert outcome.ok and outcome.version == "v1.0" and outcome.current is None
    folder = registry.root / "v1.0"
    record = json.loads((folder / METADATA).read_text())
    assert record["version"] == "v1.0"
    assert record["artifact_sha256"] == file_sha256(folder / ARTIFACT)
    assert record["features"] == list(probe.columns)
    assert record["probe_rows"] == len(probe)
    assert np.array_equal(np.load(folder / EXPECTED), models["a"].predict_proba(probe))
    assert np.array_equal(joblib.load(folder / ARTIFACT).predict_proba(probe),
                          models["a"].predict_proba(probe))
    [row] = registry.index()
    assert tuple(row) == INDEX_COLUMNS
    assert row["version"] == "v1.0" and float(row["accuracy"]) == record["scores"]["accuracy"]
    assert registry.versions() == ["v1.0"] and registry.current() is None


def test_a_version_is_never_overwritten(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    before = file_sha256(registry.root / "v1.0" / ARTIFACT)
    outcome = registry.register("v1.0", models["b"], meta(models["b"], data), probe)
    assert_one_line(outcome)
    assert not outcome.ok
    assert "never overwritten" in outcome.message and "v1.1" in outcome.message
    assert file_sha256(registry.root / "v1.0" / ARTIFACT) == before
    assert len(registry.index()) == 1


@pytest.mark.parametrize("name", ["1.0", "v1", "v1.0.1", "../v1.0", "current", "", None])
def test_bad_version_names_are_refused_in_one_line(registry, models, data, probe, name):
    outcome = registry.register(name, models["a"], meta(models["a"], data), probe)
    assert_one_line(outcome)
    assert not outcome.ok and "vMAJOR.MINOR" in outcome.message
    assert not registry.root.exists() or registry.versions() == []


def test_a_failed_registration_leaves_no_version_behind(registry, models, data, probe):
    X, y, _, _ = data
    unpicklable = make_pipeline(FunctionTransformer(lambda X: X), StandardScaler(),
                                LogisticRegression()).fit(X, y)
    outcome = registry.register("v1.0", unpicklable, {}, probe)
    assert_one_line(outcome)
    assert not outcome.ok and "was not registered" in outcome.message
    assert registry.versions() == [] and registry.index() == []
    assert registry.register("v1.0", models["a"], {}, probe).ok  # the name is still free


def test_metadata_that_is_not_json_is_refused(registry, models, probe):
    outcome = registry.register("v1.0", models["a"], {"trained": object()}, probe)
    assert not outcome.ok and "not JSON serializable" in outcome.message
    assert registry.versions() == []


# ---------------------------------------------------------------- promote, audit, rollback


def test_promote_verifies_in_a_fresh_process_then_switches(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    outcome = registry.promote("v1.0")
    assert_one_line(outcome)
    assert outcome.ok and outcome.current == "v1.0" and outcome.previous is None
    assert "fresh process" in outcome.message
    assert registry.current_link.is_symlink() and os.readlink(registry.current_link) == "v1.0"
    assert [(r["action"], r["version"], r["previous"]) for r in registry.history()] == \
        [("promote", "v1.0", "")]
    again = registry.promote("v1.0")
    assert again.ok and "already current" in again.message and len(registry.history()) == 1


def test_failed_promotion_of_a_changed_file_leaves_current_unchanged(registry, models, data,
                                                                     probe):
    registered(registry, models, data, probe, "v1.0", "v1.1")
    assert registry.promote("v1.0").ok
    with open(registry.root / "v1.1" / ARTIFACT, "ab") as f:
        f.write(b"\0")  # one byte appended after registration
    outcome = registry.promote("v1.1")
    assert_one_line(outcome)
    assert not outcome.ok and outcome.current == "v1.0"
    assert "changed after registration" in outcome.message and "still points to v1.0" in \
        outcome.message
    assert os.readlink(registry.current_link) == "v1.0"
    assert len(registry.history()) == 1
    with pytest.raises(ValueError, match="changed after registration"):
        registry.load("v1.1")


def test_failed_promotion_of_a_model_a_fresh_process_cannot_load(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    assert registry.register("v1.1", models["local"], {}, probe).ok  # fine in this process
    assert registry.promote("v1.0").ok
    outcome = registry.promote("v1.1")
    assert not outcome.ok and "fails the fresh-process check" in outcome.message
    assert registry.current() == "v1.0"


def test_golden_outputs_that_no_longer_match_are_refused(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    expected = registry.root / "v1.0" / EXPECTED
    np.save(expected, np.load(expected) + 1e-9)
    check = registry.audit("v1.0")
    assert_one_line(check)
    assert not check.ok and f"on {len(probe)} of {len(probe)} rows" in check.message
    assert not registry.promote("v1.0").ok and registry.current() is None


@pytest.mark.parametrize("version, reason", [("v9.9", "there is no version"),
                                             ("latest", "not a version name")])
def test_unknown_versions_are_refused(registry, models, data, probe, version, reason):
    registered(registry, models, data, probe, "v1.0")
    outcome = registry.promote(version)
    assert_one_line(outcome)
    assert not outcome.ok and reason in outcome.message and registry.current() is None


def test_missing_metadata_is_reported(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    (registry.root / "v1.0" / METADATA).unlink()
    check = registry.audit("v1.0")
    assert not check.ok and METADATA in check.message


def test_rollback_returns_to_the_previous_version_and_stops_at_the_first(registry, models, data,
                                                                         probe):
    registered(registry, models, data, probe, "v1.0", "v1.1")
    nothing = registry.rollback()
    assert not nothing.ok and "nothing has been promoted" in nothing.message
    assert registry.promote("v1.0").ok and registry.promote("v1.1").ok
    back = registry.rollback()
    assert_one_line(back)
    assert back.ok and back.current == "v1.0" and back.previous == "v1.1"
    assert registry.current() == "v1.0"
    first = registry.rollback()
    assert not first.ok and "only version ever promoted" in first.message
    assert registry.current() == "v1.0"
    assert [r["action"] for r in registry.history()] == ["promote", "promote", "rollback"]


def test_rollback_to_a_changed_version_is_refused(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0", "v1.1")
    assert registry.promote("v1.0").ok and registry.promote("v1.1").ok
    with open(registry.root / "v1.0" / ARTIFACT, "ab") as f:
        f.write(b"\0")
    outcome = registry.rollback()
    assert not outcome.ok and "still points to v1.1" in outcome.message
    assert registry.current() == "v1.1"


def test_load_returns_the_registered_model(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    loaded = registry.load("v1.0")
    assert np.array_equal(loaded.predict_proba(probe), models["a"].predict_proba(probe))


def test_next_version_and_listing(registry, models, data, probe):
    assert registry.versions() == [] and registry.next_version() == "v1.0"
    registered(registry, models, data, probe, "v1.9", "v1.10")
    assert registry.versions() == ["v1.9", "v1.10"]
    assert registry.next_version() == "v1.11" and registry.next_version(2) == "v2.0"
    with open(registry.index_path, newline="") as f:
        assert [row["version"] for row in csv.DictReader(f)] == ["v1.9", "v1.10"]


def test_the_registry_works_from_a_copied_folder(registry, models, data, probe, tmp_path):
    registered(registry, models, data, probe, "v1.0")
    assert registry.promote("v1.0").ok
    copy = Registry(shutil.copytree(registry.root, tmp_path / "elsewhere", symlinks=True))
    shutil.rmtree(registry.root)
    assert copy.current() == "v1.0"
    assert copy.audit("v1.0", fresh=False).ok
    assert isinstance(copy.load("v1.0"), type(models["a"]))


def test_index_rows_hold_strings_from_csv(registry, models, data, probe):
    registered(registry, models, data, probe, "v1.0")
    assert all(isinstance(value, str) for value in registry.index()[0].values())
    assert Path(registry.index_path).read_text().splitlines()[0] == ",".join(INDEX_COLUMNS)
