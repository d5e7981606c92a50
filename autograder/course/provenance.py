"""What a model's `metadata.json` records, to trace it to its data, code and libraries.

    from autograder.course import provenance

    meta = provenance.metadata(model, "StandardScaler + LogisticRegression", train_fn,
                               (X_train, y_train), (X_test, y_test),
                               data_file=credit.DATA_PATH, split_seed=0, seed=42,
                               extra={"decision_threshold": 0.3})
    provenance.table(meta)            # key -> value, one row each, hashes shortened
    provenance.data_problems(meta, X, y, data_file)   # [] while the data still matches
    provenance.write_places(folder, tags, model=..., arrays=..., onnx_model=...)
                                      # the same string tags in four places a model's metadata lives

Two fingerprints need care:

- **The training data**: `data_sha256(X, y)` hashes the exact training table written as CSV
  (column names, row order, every value), and `file_sha256` the source file. The same data
  always gives the same hash; one changed cent gives a completely different one.
- **The code**: a git commit identifies the code only if nothing changed since, so
  `code_version` always records the sha256 of the training function's own source too.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import platform
import re
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import pandas as pd

from autograder.common import units
from autograder.course.registry import file_sha256

__all__ = ["code_version", "data_problems", "data_sha256", "library_versions", "metadata",
           "table", "write_places"]

LIBRARIES = ("scikit-learn", "numpy", "pandas", "joblib")
SHORT_HASH = 12  # characters of a sha256 shown in a table: enough to tell two apart
_DIGEST = re.compile(r"[0-9a-f]{40,}")


def data_sha256(X: pd.DataFrame, y: pd.Series) -> str:
    """sha256 of the exact training table: column names, row order and every value, as CSV."""
    return hashlib.sha256(X.assign(**{str(y.name): y}).to_csv(index=False).encode()).hexdigest()


def code_version(train_fn: Callable) -> dict[str, str | None]:
    """The training function's source hash (always), and the git commit when there is one."""
    source_sha256 = hashlib.sha256(inspect.getsource(train_fn).encode()).hexdigest()
    try:
        git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        commit = git.stdout.strip() if git.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):  # no git here
        commit = None
    return {"training_code_sha256": source_sha256, "git_commit": commit}


def library_versions(*names: str) -> dict[str, str]:
    """Python's version and each named distribution's installed version."""
    return {"python": platform.python_version(),
            **{name: installed_version(name) for name in names or LIBRARIES}}


def metadata(model: Any, description: str, train_fn: Callable,
             train: tuple[pd.DataFrame, pd.Series], test: tuple[pd.DataFrame, pd.Series], *,
             data_file: Path, split_seed: int, seed: int,
             extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What, when, how good, with which libraries, from which data and by which code."""
    (X_train, y_train), (X_test, y_test) = train, test
    return {
        "model": description,
        "features": [str(name) for name in X_train.columns],
        "target": str(y_train.name),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_rows": len(X_train),
        "scores": {"accuracy": float(model.score(X_test, y_test))},
        **dict(extra or {}),
        "libraries": library_versions(),
        "data": {"file": Path(data_file).name, "file_sha256": file_sha256(data_file),
                 "split_seed": split_seed, "train_sha256": data_sha256(X_train, y_train)},
        "code": code_version(train_fn),
        "seed": seed,
    }


def data_problems(meta: Mapping[str, Any], X: pd.DataFrame, y: pd.Series,
                  data_file: Path) -> list[str]:
    """What no longer matches the recorded training data ([] means it is unchanged), given the
    training split `X, y` redone from `data_file` with the recorded split seed."""
    recorded = meta["data"]
    problems = []
    if file_sha256(data_file) != recorded["file_sha256"]:
        problems.append(f"{Path(data_file).name} changed since training")
    if data_sha256(X, y) != recorded["train_sha256"]:
        problems.append("the training split no longer hashes to the recorded sha256")
    return problems


def table(meta: Mapping[str, Any]) -> pd.DataFrame:
    """One row per leaf of `meta` ("scores.accuracy"), values as text, long hashes shortened."""
    rows = {}
    for key, value in pd.json_normalize(dict(meta), sep=".").iloc[0].items():
        if isinstance(value, list):
            value = f"{len(value)} names: {', '.join(map(str, value[:3]))}, …"
        elif isinstance(value, float):
            value = units.percent(value) if key.startswith("scores.") else units.number(value)
        elif isinstance(value, str) and _DIGEST.fullmatch(value):  # a sha256 or a git commit
            value = value[:SHORT_HASH] + "…"
        rows[key] = units.DASH if value is None else str(value)
    return pd.DataFrame({"value": rows}).rename_axis("key")


def write_places(folder: Path, tags: Mapping[str, str], *, model: Any,
                 arrays: Mapping[str, Any], onnx_model: Any) -> dict[str, Path]:
    """Write `tags` (strings) to the four places metadata can live, in `folder`:

    - `model.joblib`: a dict holding `model` and the tags (lesson 02's practice);
    - `model.safetensors`: `arrays`, with the tags in the header's `__metadata__`;
    - `model.onnx`: `onnx_model` (an ONNX ModelProto), with the tags as `metadata_props`;
    - `metadata.json`: the tags alone.
    """
    import joblib
    import onnx
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in
             ("model.joblib", "model.safetensors", "model.onnx", "metadata.json")}
    joblib.dump({"model": model, **tags}, paths["model.joblib"])
    save_file(dict(arrays), paths["model.safetensors"], metadata=dict(tags))
    onnx.helper.set_model_props(onnx_model, dict(tags))
    onnx.save(onnx_model, paths["model.onnx"])
    paths["metadata.json"].write_text(json.dumps(dict(tags)))
    return paths
