"""The credit dataset: reproducible, shipped as generated, sane, and learnable but not trivially."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autograder.common.paths import ROOT
from autograder.course import credit

README = ROOT / "data" / "README.md"


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return credit.load_credit()


def test_generate_is_deterministic_and_seed_dependent() -> None:
    pd.testing.assert_frame_equal(
        credit.generate(500, seed=7), credit.generate(500, seed=7), check_exact=True
    )
    a, b = credit.generate(500, seed=7), credit.generate(500, seed=8)
    assert not a[list(credit.NUMERIC_FEATURES)].equals(b[list(credit.NUMERIC_FEATURES)])


def test_load_credit_equals_generate(shipped: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(shipped, credit.generate(), check_exact=True)


def test_committed_csv_matches_readme_sha256() -> None:
    match = re.search(r"^sha256: ([0-9a-f]{64})$", README.read_text(encoding="utf-8"), re.M)
    assert match, "data/README.md has no `sha256: <hex>` line"
    assert hashlib.sha256(credit.DATA_PATH.read_bytes()).hexdigest() == match.group(1)


def test_make_credit_check_passes() -> None:
    # Byte-level check: catches CSV formatting drift that value equality would miss.
    result = subprocess.run(
        [sys.executable, str(ROOT / "data" / "make_credit.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_missing_file_is_actionable(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make_credit.py"):
        credit.load_credit(tmp_path / "nope.csv")


def test_schema(shipped: pd.DataFrame) -> None:
    expected = [credit.ID, *credit.NUMERIC_FEATURES, *credit.CATEGORICAL_FEATURES, credit.TARGET]
    assert list(shipped.columns) == expected
    assert shipped.dtypes.astype(str).to_dict() == credit.DTYPES
    assert len(shipped) == 10_000
    assert not shipped.isna().any().any()
    assert shipped[credit.ID].is_unique and shipped[credit.ID].iloc[0] == "A00001"


def test_ranges(shipped: pd.DataFrame) -> None:
    df = shipped
    assert df["age"].between(21, 75).all()
    assert (df["employment_years"] <= df["age"] - 18).all()
    assert (df["credit_history_years"] <= df["age"] - 18).all()
    assert df["annual_income"].between(12_000, 400_000).all()
    assert df["loan_amount"].between(1_000, 40_000).all()
    assert set(df["loan_term_months"]) == {36, 60}
    assert df["debt_to_income"].between(0, 1.5).all()
    assert df["credit_utilization"].between(0, 1).all()
    counts = ["employment_years", "credit_history_years", "open_credit_lines", "late_payments_2y"]
    assert (df[counts] >= 0).all().all()
    assert set(df["home_ownership"]) == set(credit.HOME_OWNERSHIP)
    assert set(df["purpose"]) == set(credit.PURPOSES)
    assert set(df[credit.TARGET]) == {0, 1}
    assert 0.12 <= df[credit.TARGET].mean() <= 0.20


def test_split_is_stratified_and_keeps_columns(shipped: pd.DataFrame) -> None:
    X_train, X_test, y_train, y_test = credit.split(shipped)
    assert list(X_train.columns) == list(X_test.columns) == list(credit.NUMERIC_FEATURES)
    assert len(X_test) == 2_500 and len(X_train) == 7_500
    assert X_train.index.intersection(X_test.index).empty
    assert abs(y_train.mean() - y_test.mean()) < 0.005
    # Same seed, same split; the default df is the shipped one.
    pd.testing.assert_frame_equal(credit.split()[1], X_test)


def test_probe_rows_are_fresh() -> None:
    probe = credit.probe_rows()
    assert list(probe.columns) == list(credit.NUMERIC_FEATURES) and len(probe) == 200
    shipped = credit.load_credit()[list(credit.NUMERIC_FEATURES)]
    assert probe.merge(shipped, how="inner").empty


def test_random_forest_learns_something_but_not_everything(shipped: pd.DataFrame) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    X_train, X_test, y_train, y_test = credit.split(shipped)
    model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert 0.75 <= auc <= 0.87, auc
    assert np.isfinite(auc)
