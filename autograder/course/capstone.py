"""Lesson 07's helpers: the tested release job, fresh-process timings and one-row latency.

The capstone's notebook keeps what a learner should read (its loaders, a colleague's broken
release script, the exercises); this module holds the rest.

    mlp = capstone.train_mlp(X_std, y, seed=7)                   # the research team's model
    release = capstone.reference_release(pipeline, mlp, folder)  # one file per format
    release.paths["onnx"], release.save_seconds["onnx"]
    model = capstone.run_loader(LOADERS["skops"], path, reviewed)     # in this process
    imports, load = capstone.fresh_load(LOADERS["skops"], path, reviewed)  # in a new one
    table = capstone.measure_release(release, LOADERS, reviewed, {"onnx": X, "skops": X})

**The reference release.** `reference_release` writes every format the way lessons 01 to 05
teach, and the later sections of the capstone measure and register these files, not the
learner's: a broken exercise costs nothing after it.

**Loaders as text.** A loader is a pair of Python snippets, `(imports, load)`: the imports a
server needs for the format, then the code that turns the file at `PATH` into `model`
(`REVIEWED` names the skops types someone reviewed). The same text runs in this process
(`run_loader`) and in a new one (`fresh_load`), so both load a file the same way.

**One clock.** `fresh_load` starts a new Python and, inside it, times the imports and then the
load with `time.perf_counter`: the interpreter's own start-up is in neither figure. The
course's checker (`check_artifact`) starts its clock after importing the format's library too,
so its `load` figure compares with the second one. Unpickling imports every class a file names
on demand, so a pickle or joblib file's load includes importing scikit-learn, while
`import skops.io` imports scikit-learn (and more) up front.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autograder.common.text import last_line
from autograder.course import measure
from autograder.course.tables import Table

__all__ = ["FILE_NAMES", "PIPELINE_FORMATS", "TORCH_FORMATS", "Release", "fresh_load",
           "latency", "measure_release", "predictor", "reference_release", "run_loader",
           "save_reference", "train_mlp"]

PIPELINE_FORMATS = ("pickle", "joblib", "skops", "onnx")
TORCH_FORMATS = ("safetensors", "pt2")
FILE_NAMES = {"pickle": "model.pkl", "joblib": "model.joblib", "skops": "model.skops",
              "onnx": "model.onnx", "safetensors": "mlp.safetensors", "pt2": "mlp.pt2"}
TARGET_OPSET = 17  # pinned, as in lesson 04
FRESH_TIMEOUT = 300.0  # seconds; a loaded machine is slow, a hung child is a bug


@dataclass(frozen=True)
class Release:
    """The files of one release, by format, and how long each took to write."""

    paths: dict[str, Path]
    save_seconds: dict[str, float]


def train_mlp(X_std: np.ndarray, y: np.ndarray, *, seed: int, epochs: int = 8,
              hidden: Sequence[int] = (32, 16)):
    """A `CreditMLP` trained with Adam on standardized features, in eval mode (deterministic
    for a given seed: one thread, fixed batches)."""
    import torch

    from autograder.course.models import CreditMLP

    torch.manual_seed(seed)
    X = torch.from_numpy(np.array(X_std, dtype=np.float32))  # copies: pandas hands out
    target = torch.from_numpy(np.array(y, dtype=np.int64))  # read-only views
    mlp = CreditMLP(n_features=X.shape[1], hidden=tuple(hidden))
    optimizer = torch.optim.Adam(mlp.parameters(), lr=1e-2)
    for _ in range(epochs):
        for start in range(0, len(X), 256):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(mlp(X[start:start + 256]),
                                                     target[start:start + 256])
            loss.backward()
            optimizer.step()
    return mlp.eval()


def save_reference(model, fmt: str, path: str | Path) -> Path:
    """Save `model` (a fitted Pipeline, or a CreditMLP for the torch formats) in `fmt`, the
    way lessons 01 to 05 teach. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pickle":
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
    elif fmt == "joblib":
        import joblib

        joblib.dump(model, path, compress=("zlib", 3))
    elif fmt == "skops":
        import skops.io

        skops.io.dump(model, path)
    elif fmt == "onnx":
        path.write_bytes(_onnx_bytes(model))
    elif fmt == "safetensors":
        from safetensors.torch import save_file

        save_file(model.state_dict(), path, metadata={"hparams": json.dumps(model.hparams)})
    elif fmt == "pt2":
        import torch

        example = torch.zeros(2, model.hparams["n_features"])  # 2 rows: a batch of 1 specializes
        program = torch.export.export(model.eval(), (example,),
                                      dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
        torch.export.save(program, path)
    else:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FILE_NAMES)}")
    return path


def _onnx_bytes(model) -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType
    from skl2onnx.sklapi import CastTransformer
    from sklearn.pipeline import Pipeline

    # float64 in, rounded to float32 where scikit-learn's forest rounds (lesson 04).
    ready = Pipeline(model.steps[:-1] + [("cast", CastTransformer(dtype=np.float32)),
                                         model.steps[-1]])
    onx = convert_sklearn(ready, initial_types=[("input", DoubleTensorType(
        [None, model.n_features_in_]))], target_opset=TARGET_OPSET, options={"zipmap": False})
    return onx.SerializeToString()


def reference_release(pipeline, mlp, folder: str | Path, *, repeats: int = 2) -> Release:
    """Write the pipeline in every PIPELINE_FORMAT and the MLP in every TORCH_FORMAT into
    `folder`, timing each save (best of `repeats`, one in quick mode)."""
    folder = Path(folder)
    paths, seconds = {}, {}
    for fmt in PIPELINE_FORMATS + TORCH_FORMATS:
        model = mlp if fmt in TORCH_FORMATS else pipeline
        paths[fmt] = folder / FILE_NAMES[fmt]
        seconds[fmt] = measure.best_of(repeats, _quiet_save, model, fmt, paths[fmt])
    return Release(paths, seconds)


def _quiet_save(model, fmt: str, path: Path) -> None:
    from autograder.course.lesson import quietly

    with quietly():
        save_reference(model, fmt, path)


def run_loader(loader: tuple[str, str], path: str | Path, reviewed: Sequence[str]) -> Any:
    """Run a loader's imports and load code here; returns the `model` it builds."""
    imports, load = loader
    namespace: dict[str, Any] = {"PATH": str(path), "REVIEWED": list(reviewed)}
    exec(f"{imports}\n{load}", namespace)  # noqa: S102 - the lesson's own loaders
    return namespace["model"]


def fresh_load(loader: tuple[str, str], path: str | Path,
               reviewed: Sequence[str]) -> tuple[float, float]:
    """(import seconds, load seconds) of a loader in a new Python process, both timed inside
    it with one clock. Raises RuntimeError with the child's last error line if it fails."""
    imports, load = loader
    program = "\n".join([
        "import time", "start = time.perf_counter()", imports,
        "imported = time.perf_counter()",
        f"PATH, REVIEWED = {str(Path(path).resolve())!r}, {list(reviewed)!r}", load,
        "print(imported - start, time.perf_counter() - imported)"])
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=FRESH_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loading '{Path(path).name}' in a fresh process failed: "
                           f"{last_line(done.stderr) or f'exit code {done.returncode}'}")
    import_s, load_s = (float(word) for word in done.stdout.split()[-2:])
    return import_s, load_s


def predictor(obj) -> Callable[[Any], Any]:
    """A function that predicts one batch with a loaded model: `predict_proba` of a
    scikit-learn model, `run` of an onnxruntime session (float64 input), a torch module's
    forward pass (float32, no gradients)."""
    if hasattr(obj, "predict_proba"):
        return obj.predict_proba
    if hasattr(obj, "get_inputs"):  # an onnxruntime.InferenceSession
        name = obj.get_inputs()[0].name
        return lambda rows: obj.run(None, {name: np.asarray(rows, dtype=np.float64)})
    import torch

    def forward(rows):
        with torch.inference_mode():
            return obj(torch.as_tensor(np.asarray(rows, dtype=np.float32)))

    return forward


def latency(predict: Callable[[Any], Any], rows: Sequence[Any]) -> float:
    """Median seconds of one `predict(row)` call over `rows` (one row each)."""
    times = []
    for row in rows:
        start = time.perf_counter()
        predict(row)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def one_row_inputs(X, n: int) -> list:
    """The first `n` rows of X, one row each: one-row DataFrames, or 1-by-k arrays."""
    if isinstance(X, pd.DataFrame):
        return [X.iloc[[i]] for i in range(min(n, len(X)))]
    X = np.asarray(X)
    return [X[i:i + 1] for i in range(min(n, len(X)))]


def measure_release(release: Release, loaders: Mapping[str, tuple[str, str]],
                    reviewed: Sequence[str], inputs: Mapping[str, Any], *,
                    rows: int = 30) -> Table:
    """The files of `release` named in `inputs`, measured: size, save time, a fresh process's
    imports and load (one start each), and the median one-row latency here over `rows` rows
    of `inputs[fmt]` (fewer in quick mode)."""
    from autograder.course.lesson import quietly

    n_rows = measure.quick_or(rows, 5)
    records = []
    for fmt, X in inputs.items():
        path = release.paths[fmt]
        imports_s, load_s = fresh_load(loaders[fmt], path, reviewed)
        with quietly():
            predict = predictor(run_loader(loaders[fmt], path, reviewed))
            one_row = latency(predict, one_row_inputs(X, n_rows))
        records.append({"format": fmt, "size": path.stat().st_size,
                        "save": release.save_seconds[fmt], "imports": imports_s, "load": load_s,
                        "fresh start": imports_s + load_s, "one row": one_row})
    kinds = {"size": "size", **dict.fromkeys(
        ["save", "imports", "load", "fresh start", "one row"], "duration")}
    return Table(pd.DataFrame(records).set_index("format"), kinds,
                 title=f"One fresh start per file, median of {n_rows} one-row calls, on "
                       f"{measure.machine()}; timings vary between runs")


def release_problems(save: Callable[[Any, str, Path], Any], model, formats: Sequence[str],
                     folder: str | Path, check: Callable[[Path], Any]) -> dict[str, str]:
    """What is wrong with each file `save(model, fmt, folder / FILE_NAMES[fmt])` writes: ''
    when it is a file of that format and `check(path)` (a CheckResult) is ok, else one line.
    The joblib file (zlib level 3) must also be smaller than the pickle, when both were written."""
    from autograder.course.lesson import error_line, quietly

    folder = Path(folder)
    problems, sizes = {}, {}
    for fmt in formats:
        try:
            with quietly():
                path = save(model, fmt, folder / FILE_NAMES[fmt])
        except Exception as error:  # a student's save: any error is their line to read
            problems[fmt] = f"saving raised {error_line(error)}"
            continue
        if not isinstance(path, Path) or not path.is_file():
            problems[fmt] = "return the path of the file you wrote, as a pathlib.Path"
            continue
        result = check(path)
        if result.format and result.format != fmt:
            problems[fmt] = f"'{path.name}' is a {result.format} file, not {fmt}"
        else:
            problems[fmt] = "" if result.ok else result.message
        sizes[fmt] = path.stat().st_size
    if {"pickle", "joblib"} <= sizes.keys() and not problems["joblib"] \
            and sizes["joblib"] >= sizes["pickle"]:
        problems["joblib"] = (f"not compressed: {sizes['joblib']:,} bytes against "
                              f"{sizes['pickle']:,} for the pickle")
    return problems
