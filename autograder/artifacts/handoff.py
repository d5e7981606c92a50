"""Hand inputs and predictions between processes as .npy files, never as a pickle.

The grader must not unpickle anything a child process produced, and the child must not
unpickle the inputs: a folder of one .npy per column plus a JSON manifest carries a numpy
array or a pandas DataFrame (column names, order and dtypes) exactly.

pandas is imported only when a DataFrame is involved: the sandboxed child of an ONNX check must
start in well under a second, and importing pandas alone takes about half of that.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

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
    pandas = sys.modules.get("pandas")  # a DataFrame exists only if pandas was imported
    if pandas is not None and isinstance(X, pandas.DataFrame):
        columns = [str(c) for c in X.columns]
        for i, column in enumerate(X.columns):
            np.save(folder / f"col{i}.npy", plain_array(X[column].to_numpy()), allow_pickle=False)
        manifest = {"kind": "frame", "columns": columns}
    else:
        np.save(folder / "array.npy", plain_array(X), allow_pickle=False)
        manifest = {"kind": "array"}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def load_columns(folder: Path) -> tuple[list[str] | None, list[np.ndarray]]:
    """The saved columns without pandas: (names, arrays), or (None, [array]) for an array."""
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest["kind"] == "array":
        return None, [np.load(folder / "array.npy", allow_pickle=False)]
    names = manifest["columns"]
    return names, [np.load(folder / f"col{i}.npy", allow_pickle=False)
                   for i in range(len(names))]


def load_inputs(folder: Path):
    """Inverse of `save_inputs`."""
    names, columns = load_columns(folder)
    if names is None:
        return columns[0]
    import pandas as pd

    return pd.DataFrame(dict(zip(names, columns, strict=True)), columns=names)
