"""Hand inputs and predictions between processes as .npy files, never as a pickle.

The grader must not unpickle anything a child process produced, and the child must not
unpickle the inputs: a folder of one .npy per column plus a JSON manifest carries a numpy
array or a pandas DataFrame (column names, order and dtypes) exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

MANIFEST = "manifest.json"


def plain_array(values) -> np.ndarray:
    """An array .npy stores without pickle: object columns (e.g. string labels) become unicode."""
    array = np.asarray(values)
    if array.dtype == object:
        array = array.astype(str)
    return array


def save_inputs(X, folder: Path) -> None:
    """Write X (array-like or DataFrame) into `folder` so `load_inputs` rebuilds it exactly."""
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(X, pd.DataFrame):
        columns = [str(c) for c in X.columns]
        for i, column in enumerate(X.columns):
            np.save(folder / f"col{i}.npy", plain_array(X[column].to_numpy()), allow_pickle=False)
        manifest = {"kind": "frame", "columns": columns}
    else:
        np.save(folder / "array.npy", plain_array(X), allow_pickle=False)
        manifest = {"kind": "array"}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def load_inputs(folder: Path):
    """Inverse of `save_inputs`."""
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest["kind"] == "array":
        return np.load(folder / "array.npy", allow_pickle=False)
    data = {
        name: np.load(folder / f"col{i}.npy", allow_pickle=False)
        for i, name in enumerate(manifest["columns"])
    }
    return pd.DataFrame(data, columns=manifest["columns"])
