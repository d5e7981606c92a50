"""The course's running example: a synthetic credit-scoring dataset.

A bank decides loan applications; each row is one applicant and ``default`` says whether the
loan went bad. Everything is simulated with ``np.random.default_rng(seed)``; no real person's
data is involved. The generative process (full equations in data/README.md):

1. ``age`` is roughly normal around 41; ``employment_years`` and ``credit_history_years`` grow
   with age and never exceed ``age - 18``.
2. ``annual_income`` is log-normal, rising with age and employment; ``home_ownership`` follows
   income and age; ``purpose`` is drawn from fixed shares.
3. ``loan_amount`` is a log-normal fraction of income; big loans tend to run 60 months.
4. ``open_credit_lines`` grows with credit history; ``credit_utilization`` is Beta-distributed
   (higher for debt consolidation); ``late_payments_2y`` rises with utilization.
5. ``debt_to_income`` = (existing monthly debt + the new loan's instalment) / monthly income.
6. ``default`` ~ Bernoulli(sigmoid(z)), z linear in the features plus hidden normal noise, so a
   good model scores well but never perfectly.

Floats are rounded to fixed decimals so the shipped CSV is byte-for-byte reproducible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from autograder.common.paths import ROOT

NUMERIC_FEATURES: tuple[str, ...] = (
    "age",
    "annual_income",
    "employment_years",
    "loan_amount",
    "loan_term_months",
    "debt_to_income",
    "credit_history_years",
    "open_credit_lines",
    "late_payments_2y",
    "credit_utilization",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("home_ownership", "purpose")
TARGET = "default"
ID = "applicant_id"

HOME_OWNERSHIP: tuple[str, ...] = ("RENT", "MORTGAGE", "OWN")
PURPOSES: tuple[str, ...] = (
    "debt_consolidation",
    "car",
    "home_improvement",
    "education",
    "small_business",
    "other",
)
_PURPOSE_SHARES = (0.42, 0.16, 0.13, 0.09, 0.08, 0.12)

# Single source of truth for the schema: generate() casts to it and load_credit() parses with it.
DTYPES: dict[str, str] = {
    ID: "str",
    "age": "int64",
    "annual_income": "float64",
    "employment_years": "int64",
    "loan_amount": "float64",
    "loan_term_months": "int64",
    "debt_to_income": "float64",
    "credit_history_years": "int64",
    "open_credit_lines": "int64",
    "late_payments_2y": "int64",
    "credit_utilization": "float64",
    "home_ownership": "str",
    "purpose": "str",
    TARGET: "int64",
}

DATA_PATH = ROOT / "data" / "credit.csv"

_APR = 0.12  # interest rate used to turn a loan into a monthly instalment


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def generate(n: int = 10_000, seed: int = 20241122) -> pd.DataFrame:
    """Simulate ``n`` loan applicants; the same ``(n, seed)`` always gives the same frame."""
    rng = np.random.default_rng(seed)

    # Applicant. Years of work and of credit history cannot start before 18.
    age = np.clip(np.rint(rng.normal(41, 11, n)), 21, 75).astype(np.int64)
    adult_years = age - 18
    employment_years = np.minimum(rng.poisson(0.35 * adult_years), adult_years)
    credit_history_years = np.minimum(rng.poisson(0.55 * adult_years), adult_years)

    log_income = (
        10.35
        + 0.012 * (age - 21)
        + 0.03 * np.minimum(employment_years, 20)
        + rng.normal(0, 0.45, n)
    )
    annual_income = np.round(np.clip(np.exp(log_income), 12_000, 400_000), 2)

    # Richer applicants rent less; among owners, older ones have paid off the mortgage.
    owner_score = 1.2 * (np.log(annual_income) - 10.8) + 0.04 * (age - 40) + rng.normal(0, 1, n)
    is_owner = owner_score > -0.3
    owns_outright = rng.random(n) < _sigmoid(0.12 * (age - 58))
    home_ownership = np.where(~is_owner, "RENT", np.where(owns_outright, "OWN", "MORTGAGE"))
    purpose = rng.choice(np.array(PURPOSES), size=n, p=_PURPOSE_SHARES)

    # The loan: a fraction of income; large loans are usually spread over 60 months.
    loan_amount = np.round(
        np.clip(annual_income * rng.lognormal(np.log(0.2), 0.5, n), 1_000, 40_000), 2
    )
    long_term = rng.random(n) < _sigmoid((loan_amount - 15_000) / 5_000)
    loan_term_months = np.where(long_term, 60, 36).astype(np.int64)

    # Credit file.
    open_credit_lines = np.minimum(rng.poisson(2 + 0.3 * credit_history_years), 40)
    credit_utilization = np.round(
        np.clip(rng.beta(2, 3.5, n) + 0.08 * (purpose == "debt_consolidation"), 0, 1), 3
    )
    late_payments_2y = rng.poisson(np.exp(-1.6 + 2.5 * (credit_utilization - 0.36)))

    # Debt-to-income includes the new loan's annuity instalment at a fixed APR.
    r = _APR / 12
    instalment = loan_amount * r / (1 - (1 + r) ** -loan_term_months)
    existing_debt = annual_income / 12 * rng.beta(2, 9, n)
    debt_to_income = np.round(
        np.clip((existing_debt + instalment) / (annual_income / 12), 0, 1.5), 3
    )

    # The label: logistic in the features plus noise the bank never observes.
    z = (
        -3.0
        + 8.0 * (debt_to_income - 0.25)
        + 3.5 * (credit_utilization - 0.36)
        + 0.8 * late_payments_2y
        - 0.8 * (np.log(annual_income) - 10.8)
        - 0.06 * (credit_history_years - 12)
        - 0.05 * (employment_years - 8)
        + 0.3 * (loan_term_months == 60)
        + 0.3 * (home_ownership == "RENT")
        + 0.6 * (purpose == "small_business")
        + rng.normal(0, 0.5, n)
    )
    default = (rng.random(n) < _sigmoid(z)).astype(np.int64)

    width = max(5, len(str(n)))
    df = pd.DataFrame(
        {
            ID: [f"A{i:0{width}d}" for i in range(1, n + 1)],
            "age": age,
            "annual_income": annual_income,
            "employment_years": employment_years,
            "loan_amount": loan_amount,
            "loan_term_months": loan_term_months,
            "debt_to_income": debt_to_income,
            "credit_history_years": credit_history_years,
            "open_credit_lines": open_credit_lines,
            "late_payments_2y": late_payments_2y,
            "credit_utilization": credit_utilization,
            "home_ownership": home_ownership,
            "purpose": purpose,
            TARGET: default,
        }
    )
    return df.astype(DTYPES)


def load_credit(path: str | Path | None = None) -> pd.DataFrame:
    """Read the shipped CSV; equal to ``generate()`` with the default arguments."""
    path = Path(DATA_PATH if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; regenerate: `python data/make_credit.py`")
    # pandas' default float parser reads each written repr back to the identical double
    # (tests/test_course_credit.py checks this exactly), so no float_precision option is needed.
    return pd.read_csv(path, dtype=DTYPES)


def split(
    df: pd.DataFrame | None = None, *, test_size: float = 0.25, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Stratified train/test split of the numeric features: ``X_train, X_test, y_train, y_test``."""
    from sklearn.model_selection import train_test_split  # every lesson imports sklearn anyway

    df = load_credit() if df is None else df
    return tuple(train_test_split(df[list(NUMERIC_FEATURES)], df[TARGET], test_size=test_size,
                                  stratify=df[TARGET], random_state=seed))


def probe_rows(n: int = 200, seed: int = 1) -> pd.DataFrame:
    """Fresh applicants (numeric features only) that no student has seen, for hidden tests."""
    return generate(n, seed)[list(NUMERIC_FEATURES)]
