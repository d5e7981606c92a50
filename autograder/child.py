"""The fresh process: load one artifact, predict, write the result as .npy and JSON.

Run by `autograder.check` as `python -I -c "...child.main()" ...` in an empty temporary folder,
so nothing from the notebook (its `__main__`, its working directory, its imports) is there.
It reports every outcome in `status.json`; it never pickles anything back to the parent.
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from autograder.tables import load_inputs, plain_array


def load(path: Path, loader: str):
    if loader == "joblib":
        import joblib

        return joblib.load(path)
    import pickle

    with open(path, "rb") as f:
        return pickle.load(f)


def error_fields(exc: BaseException) -> dict:
    return {
        "error_type": type(exc).__name__,
        "error": str(exc).splitlines()[0] if str(exc) else "",
        "where": traceback.extract_tb(exc.__traceback__)[-1].name if exc.__traceback__ else "",
    }


def run(artifact: Path, loader: str, inputs: Path, method: str, out: Path) -> dict:
    status: dict = {"stage": "load"}
    warnings.simplefilter("ignore")  # library warnings are not the student's error here
    try:
        start = time.perf_counter()
        obj = load(artifact, loader)
        status["load_seconds"] = time.perf_counter() - start
        status["type"] = f"{type(obj).__module__}.{type(obj).__qualname__}"
        status["stage"] = "predict"
        if not callable(getattr(obj, method, None)):
            status["error_type"] = "MissingMethod"
            return status
        predictions = plain_array(getattr(obj, method)(load_inputs(inputs)))
        np.save(out, predictions, allow_pickle=False)
        status["stage"] = "done"
    except Exception as exc:  # every failure becomes a reported status, never a crash
        status.update(error_fields(exc))
    return status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--loader", choices=["pickle", "joblib"], required=True)
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--method", default="predict")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--status", type=Path, required=True)
    args = parser.parse_args()
    status = run(args.artifact, args.loader, args.inputs, args.method, args.out)
    args.status.write_text(json.dumps(status))


if __name__ == "__main__":
    main()
