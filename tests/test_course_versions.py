"""autograder.course.versions: a pickle recording another scikit-learn version."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import InconsistentVersionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autograder.course import versions


def test_previous_minor():
    assert versions.previous_minor("1.9.1") == "1.8.0"
    assert versions.previous_minor("2.13.0") == "2.12.0"
    with pytest.raises(ValueError):
        versions.previous_minor("1.0.2")


def test_every_estimator_records_the_new_version_and_predicts_the_same():
    X = np.random.default_rng(0).normal(size=(60, 3))
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, X[:, 0] > 0)
    old = versions.previous_minor(sklearn.__version__)
    data = versions.with_recorded_version(pickle.dumps(model, protocol=5), old)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InconsistentVersionWarning)
        loaded = pickle.loads(data)
    recorded = {w.message.estimator_name: w.message.original_sklearn_version for w in caught
                if issubclass(w.category, InconsistentVersionWarning)}
    assert recorded == {"Pipeline": old, "StandardScaler": old, "LogisticRegression": old}
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_refuses_a_length_change_and_a_pickle_without_estimators():
    data = pickle.dumps(StandardScaler(), protocol=5)
    with pytest.raises(ValueError, match="as long as"):
        versions.with_recorded_version(data, "10.0.0", current="1.9.1")
    with pytest.raises(ValueError, match="no scikit-learn estimator"):
        versions.with_recorded_version(pickle.dumps({"a": 1}, protocol=5), "1.8.0", current="1.9.1")
