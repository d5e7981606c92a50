"""Lesson 04's helpers: what an ONNX file declares, sessions with a stated thread count,
single-call latencies, and the split where float32 scaling sends a row the other way.

    from autograder.course import onnxlab

    onnxlab.quiet_logs()                    # in the setup: no runtime notices on stderr
    onnxlab.contract(onx)                   # a Table: each input and output, type and shape
    session = onnxlab.session(path, threads=1)
    seconds = onnxlab.latencies(lambda i: session.run(None, {"input": X[i:i + 1]}), 200)
    onnxlab.crossing(onx32, model, X)       # one split that float32 scaling decides
    mlp = onnxlab.train_mlp(Z_train, y_train, seed=42)

**Threads.** ONNX Runtime's default (`intra_op_num_threads = 0`) is one thread per core, and a
tree ensemble then adds its trees' votes in per-thread partial sums: an exact vote tie can come
out on either side. `session` therefore takes the thread count as an argument, so every count of
tie flips in the lesson states it; the course's checker uses one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autograder.common import units
from autograder.course.tables import Table

__all__ = ["Crossing", "contract", "crossing", "describe_value", "export_problems", "latencies",
           "operators", "opsets", "percentiles", "prediction_problems", "quiet_logs",
           "scaled_by_onnx", "session", "thresholds_on_values", "train_mlp",
           "verification_problems"]

DIGITS = 9  # significant digits that show a float32 rounding step


def quiet_logs() -> None:
    """Errors only, from ONNX Runtime's C++ logger and from torch.onnx's Python loggers.

    Their notices ("torchvision is not installed", graph optimizations) go to stderr through
    handlers bound before any cell runs, so `lesson.quietly()` cannot catch them, and stderr
    output zeroes a grade cell. Real errors still raise.
    """
    import logging

    import onnxruntime as ort

    ort.set_default_logger_severity(3)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)


def describe_value(value_info: Any) -> str:
    """`'input: float[?, 10]'` for a tensor; a sequence or a map (a ZipMap) by its kind."""
    import onnx

    kind = value_info.type.WhichOneof("value")
    if kind != "tensor_type":
        return f"{value_info.name}: {kind.removesuffix('_type')}"
    tensor = value_info.type.tensor_type
    dims = [d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?")
            for d in tensor.shape.dim]
    element = onnx.TensorProto.DataType.Name(tensor.elem_type).lower()
    return f"{value_info.name}: {element}[{', '.join(dims)}]"


def opsets(onx: Any) -> dict[str, int]:
    """Operator-set version per domain, as the file claims them (`ai.onnx` for the default)."""
    return {imp.domain or "ai.onnx": imp.version for imp in onx.opset_import}


def operators(onx: Any) -> dict[str, int]:
    """How many nodes of each operator the graph holds, in graph order."""
    return dict(Counter(node.op_type for node in onx.graph.node))


def contract(onx: Any) -> Table:
    """What a server must know to call the file: each input and output, its type and shape."""
    rows = []
    for role, values in (("input", onx.graph.input), ("output", onx.graph.output)):
        for value in values:
            name, _, kind = describe_value(value).partition(": ")
            rows.append({"role": role, "name": name, "type": kind})
    versions = ", ".join(f"{domain} {version}" for domain, version in opsets(onx).items())
    nodes = ", ".join(f"{op} ×{n}" for op, n in operators(onx).items())
    return Table(pd.DataFrame(rows), {"role": "text", "name": "text", "type": "text"},
                 title=f"Opsets: {versions}. Operators: {nodes}. Written by "
                       f"{onx.producer_name} {onx.producer_version}.")


def export_problems(path: Any, model: Any, version: str, opset: int) -> list[str]:
    """What keeps `path` from being the export lesson 04 asks for: a float64 input named
    "input", no ZipMap, opsets up to `opset`, and `metadata_props` with the model version and
    the feature names as JSON. One actionable line per problem; empty when there is none.
    """
    import json

    import onnx

    from autograder.course import mistakes

    if not isinstance(path, Path):
        return [f"Return the path as a pathlib.Path, not {type(path).__name__}."]
    if not path.is_file():
        return [mistakes.tag("wrong-path", f"No file at '{path}': write to the path you are "
                                           "given, and return that path.")]
    onx = onnx.load(path)
    problems = []
    claimed = opsets(onx)
    if claimed.get("ai.onnx", 0) > opset:
        problems.append(f"The file claims opsets {claimed}: pass target_opset={opset}.")
    inputs = [describe_value(v) for v in onx.graph.input]
    if len(inputs) != 1 or not inputs[0].startswith("input: double"):
        problems.append(f"Expected one float64 input named 'input', found {inputs}.")
    outputs = [describe_value(v) for v in onx.graph.output]
    if any(": sequence" in output for output in outputs):
        problems.append(mistakes.tag("zipmap-output", f"Outputs {outputs}: convert with "
                                                      "options={'zipmap': False}."))
    props = {p.key: p.value for p in onx.metadata_props}
    if props.get("model_version") != version:
        problems.append(f"metadata_props 'model_version' should be {version!r}, not "
                        f"{props.get('model_version')!r}.")
    try:
        features = json.loads(props.get("features", "null"))
    except ValueError:
        features = None
    if features != [str(name) for name in model.feature_names_in_]:
        problems.append("metadata_props 'features' should be json.dumps of the model's feature "
                        "names, as a list, in order.")
    return problems


def prediction_problems(labels: Any, probabilities: Any, reference: Any, X: Any) -> list[str]:
    """What keeps `(labels, probabilities)` from being what `reference` predicts on `X`, under
    the checker's ONNX policy: a 1-D label array, a 2-D float array with one column per class in
    class order, probabilities within the tolerance and labels tie-aware."""
    from autograder.artifacts import compare
    from autograder.course import mistakes

    if isinstance(probabilities, list):
        return [mistakes.tag("zipmap-output", "probabilities are still the ZipMap's list of dicts: "
                                              "make them an array, one column per class.")]
    shapes = (np.shape(labels), np.shape(probabilities))
    expected = ((len(X),), (len(X), len(reference.classes_)))
    if shapes != expected:
        return [f"labels and probabilities should have shapes {expected}, not {shapes}."]
    if not np.issubdtype(np.asarray(probabilities).dtype, np.floating):
        return [f"probabilities should be floats, not {np.asarray(probabilities).dtype}."]
    expected_proba = reference.predict_proba(X)
    proba = compare.compare("onnx", expected_proba, probabilities)
    if not proba.identical:
        return [f"probabilities differ on {proba.n_differ} of {len(X)} rows: are the columns in "
                "the model's class order?"]
    decisions = compare.compare("onnx", reference.predict(X), labels, proba=expected_proba,
                                own_proba=probabilities)
    if not decisions.identical:
        return [f"labels differ on {decisions.n_differ} of {len(X)} rows."]
    return []


# What a verification's count means when it disagrees with the checker's (lesson 04, exercise 2).
COUNT_HINTS = {
    "labels differ": ("float32-tie-flip", "a label that differs only at a tie is a flip at a tie"),
    "flips at ties": ("", "a differing label is a flip at a tie when either side's probabilities "
                          "are tied"),
    "probabilities beyond tolerance": ("float32-without-tolerance", "compare within RTOL and "
                                                                    "ATOL, as np.isclose does"),
    "passes": ("", "it passes when no label differs and no probability is beyond the tolerance"),
}


def verification_problems(found: Any, expected: Any) -> list[str]:
    """Where the dict `found` disagrees with the checker's counts `expected` (a mapping with
    the keys of COUNT_HINTS): one line per key, naming the mistake it points to."""
    from autograder.course import mistakes

    if not isinstance(found, dict):
        return [f"Return a dict, not {type(found).__name__}."]
    problems = []
    for key, (mistake, hint) in COUNT_HINTS.items():
        if found.get(key) != expected[key]:
            line = f"{key!r} is {found.get(key)!r} where the checker says {expected[key]}: {hint}."
            problems.append(mistakes.tag(mistake, line) if mistake else line)
    return problems


def session(model: str | Path | bytes, threads: int = 1, **options: Any) -> Any:
    """An ONNX Runtime CPU session with `threads` intra-op threads (0: one per core).

    Other `SessionOptions` attributes can be set by keyword (`enable_profiling=True`).
    """
    import onnxruntime as ort

    settings = ort.SessionOptions()
    settings.intra_op_num_threads = int(threads)
    for name, value in options.items():
        setattr(settings, name, value)
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, settings, providers=["CPUExecutionProvider"])


def latencies(call: Callable[[int], Any], n_calls: int, warmup: int = 10) -> np.ndarray:
    """Seconds per call of `call(i)` for i = 0 .. n_calls - 1, after `warmup` untimed calls.

    `call` gets the call's number and picks its own row (`X[i:i + 1]`), so no list of rows
    has to be built first.
    """
    import time

    for i in range(min(warmup, n_calls)):
        call(i)
    times = np.empty(n_calls)
    for i in range(n_calls):
        start = time.perf_counter()
        call(i)
        times[i] = time.perf_counter() - start
    return times


def percentiles(latencies_by_name: dict[str, np.ndarray], *, title: str = "") -> Table:
    """A Table of p50 and p99 per name, from seconds per call (see `latencies`)."""
    rows = {name: {"p50": np.percentile(times, 50), "p99": np.percentile(times, 99)}
            for name, times in latencies_by_name.items()}
    return Table(pd.DataFrame(rows).T, {"p50": "duration", "p99": "duration"}, title=title)


def scaled_by_onnx(onx: Any, X: Any) -> np.ndarray:
    """The output of the graph's first node (the Scaler) on X as float32: what its forest reads."""
    from skl2onnx.helpers.onnx_helper import select_model_inputs_outputs

    cut = select_model_inputs_outputs(onx, outputs=[onx.graph.node[0].output[0]])
    name = onx.graph.input[0].name
    return session(cut.SerializeToString()).run(None, {name: np.asarray(X, np.float32)})[0]


@dataclass(frozen=True)
class Crossing:
    """One split of one tree that a row takes one way in scikit-learn and the other in ONNX."""

    row: int
    tree: int
    feature: str
    value: float  # the row's raw value of that feature
    threshold: float  # the split: go left when the scaled value <= threshold
    sklearn: float  # the scaled value scikit-learn's tree compares (float64 maths, rounded once)
    onnx: float  # the scaled value the float32 graph computes

    def __str__(self) -> str:
        side = {True: "left", False: "right"}
        return (f"Row {self.row}, tree {self.tree}: the split is '{self.feature} (scaled) <= "
                f"{units.number(self.threshold, DIGITS)}', and this applicant's "
                f"{self.feature} is {_plain(self.value)}. scikit-learn compares "
                f"{units.number(self.sklearn, DIGITS)} and goes "
                f"{side[bool(self.sklearn <= self.threshold)]}; the float32 graph computes "
                f"{units.number(self.onnx, DIGITS)} and goes "
                f"{side[bool(self.onnx <= self.threshold)]}.")


def _plain(value: float) -> str:
    return units.count(value) if float(value).is_integer() else units.number(value)


def crossing(onx: Any, pipeline: Any, X: pd.DataFrame) -> Crossing | None:
    """The first (row, tree) whose path differs between scikit-learn and the float32 graph
    `onx` of `pipeline` (a scaler then a forest), and the split where it does; None if none."""
    ours = pipeline[0].transform(X).astype(np.float32)
    theirs = scaled_by_onnx(onx, X)
    for number, tree in enumerate(pipeline[-1].estimators_):
        moved = np.flatnonzero(tree.apply(ours) != tree.apply(theirs))
        if len(moved):
            row = int(moved[0])
            return _split_between(tree.tree_, number, row, X, ours[row], theirs[row])
    return None


def _split_between(tree: Any, number: int, row: int, X: pd.DataFrame, ours: np.ndarray,
                   theirs: np.ndarray) -> Crossing:
    node = 0
    while True:
        feature, threshold = tree.feature[node], tree.threshold[node]
        left = ours[feature] <= threshold
        if left != (theirs[feature] <= threshold):
            return Crossing(row=row, tree=number, feature=str(X.columns[feature]),
                            value=float(X.iloc[row, feature]), threshold=float(threshold),
                            sklearn=float(ours[feature]), onnx=float(theirs[feature]))
        node = tree.children_left[node] if left else tree.children_right[node]


def thresholds_on_values(forest: Any, Z: np.ndarray) -> tuple[int, int]:
    """(splits whose threshold equals a value of its feature in Z exactly, all splits).

    `Z` is what the forest compares (float32 scaled features). A split halfway between 7 and 9
    years lands exactly on the scaled value of 8 years when the values are evenly spaced.
    """
    values = [np.unique(Z[:, j]).astype(np.float64) for j in range(Z.shape[1])]
    on, total = 0, 0
    for tree in forest.estimators_:
        features, thresholds = tree.tree_.feature, tree.tree_.threshold
        for j, seen in enumerate(values):
            splits = thresholds[features == j]
            on += int(np.isin(splits, seen).sum())
            total += len(splits)
    return on, total


def train_mlp(Z: np.ndarray, y: Any, *, seed: int, epochs: int = 120) -> Any:
    """A `CreditMLP` trained full-batch with Adam on standardized features, in eval mode."""
    import torch

    from autograder.course.models import CreditMLP

    torch.manual_seed(seed)
    features = torch.tensor(np.asarray(Z, np.float32))
    target = torch.tensor(np.asarray(y), dtype=torch.long)  # a copy: a Series' values are read-only
    mlp = CreditMLP(n_features=features.shape[1])
    optimizer = torch.optim.Adam(mlp.parameters(), lr=0.02)
    for _ in range(epochs):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(mlp(features), target).backward()
        optimizer.step()
    return mlp.eval()
