"""Format figures: every format of the format guide (docs/formats.md), on the course's models.

Two models, the ones the lessons use: the credit pipeline (StandardScaler → RandomForest, 100
trees) and `CreditMLP` (torch), plus a gradient-boosted model for the native formats of
LightGBM and XGBoost and a Keras copy of the MLP, when those libraries are installed
(requirements-bench.txt). Each file is saved here (its size, and its save or export time), then
a fresh Python process per repetition starts the way a server does: it imports what the format
needs, loads the file, and predicts, single-threaded. It reports the import and load times,
one-row latency (median of many calls) and a 1,000-row batch, and which libraries it had to
import.

The section also records facts the claims ledger (docs/claims.md) needs: training time, the
ONNX file's difference from scikit-learn, what loading a pickle runs, and the size of the C++
library a Python-free PyTorch deployment still needs.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder.common.text import error_line
from bench.core import Measurement, Section, progress, python_env, run_command

SEED = 20241122
TREES, QUICK_TREES = 100, 5
ROWS, QUICK_ROWS = 4_000, 400
REPEATS, QUICK_REPEATS = 3, 1
CALLS = 200  # one-row calls per child, after warm-up
BATCH = 1_000
THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
SKOPS_TRUSTED = ["sklearn.tree._tree.Tree"]  # reviewed: the forest's trees, nothing else
FOREST_OPSET = 17
# Loading an ONNX file for either route: one thread, as the checker does, and the input's name.
ORT_LOAD = ("options = ort.SessionOptions()\noptions.intra_op_num_threads = 1\n"
            "model = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])\n"
            "name = model.get_inputs()[0].name")


@dataclass(frozen=True)
class Route:
    """One format: how the child imports, loads and calls it (Python source, run in order)."""

    key: str  # stable id in benchmarks.json: "pickle", "onnx-sklearn"...
    label: str
    suffix: str
    imports: str
    load: str  # binds `model` from `path`
    call: str  # an expression of `model` and `x`
    dtype: str = "float64"  # what the model is fed
    torch_input: bool = False
    save_seconds: list[float] = field(default_factory=list)
    save_note: str = ""  # "convert", "export", "compile": when saving is more than writing


CHILD = """
import json, sys, time
start = time.perf_counter()
before = set(sys.modules)
path, inputs, calls, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
{imports}
imported = time.perf_counter()
{load}
loaded = time.perf_counter()
import numpy as np
data = np.load(inputs).astype("{dtype}")
one, many = data[:1], data[:batch]
if {torch_input}:
    import torch
    torch.set_num_threads(1)
    one, many = torch.from_numpy(one), torch.from_numpy(many)
def call(x):
    return {call}
first_start = time.perf_counter(); call(one); first = time.perf_counter() - first_start
times = []
for _ in range(calls):
    t = time.perf_counter(); call(one); times.append(time.perf_counter() - t)
batch_times = []
for _ in range(3):
    t = time.perf_counter(); call(many); batch_times.append(time.perf_counter() - t)
from importlib.metadata import packages_distributions
owners = packages_distributions()
roots = sorted({{owners[m.split(".")[0]][0] for m in set(sys.modules) - before
                if m.split(".")[0] in owners}})
print(json.dumps({{"imports": imported - start, "load": loaded - imported, "first": first,
                  "one_row": sorted(times)[len(times) // 2], "batch": min(batch_times),
                  "modules": len(set(sys.modules) - before), "roots": roots}}))
"""


def credit_arrays(n: int) -> tuple[np.ndarray, np.ndarray]:
    from bench.artifacts import credit_arrays as arrays

    return arrays(n, seed=SEED)


def timed(func: Callable, *args, **kwargs) -> float:
    start = time.perf_counter()
    func(*args, **kwargs)
    return time.perf_counter() - start


def save_forest(folder: Path, quick: bool, facts: dict, rows: list[Measurement]) -> tuple[
        list[Route], np.ndarray]:
    """The credit pipeline in every scikit-learn route; returns the routes and test rows."""
    import cloudpickle
    import joblib
    import skops.io
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    n = QUICK_ROWS if quick else ROWS
    X, y = credit_arrays(2 * n)
    train, test = slice(0, n), slice(n, 2 * n)
    forest = make_pipeline(StandardScaler(), RandomForestClassifier(
        n_estimators=QUICK_TREES if quick else TREES, min_samples_leaf=5, random_state=0,
        n_jobs=1))
    rows.append(Measurement("train the forest pipeline", "s",
                            (timed(forest.fit, X[train], y[train]),), key="train-forest",
                            note=f"{n:,} applicants, one thread"))
    plain = dict(call="model.predict_proba(x)", dtype="float64")
    routes = [
        Route("pickle", "pickle (protocol 5)", ".pkl", "import pickle",
              "with open(path, 'rb') as f:\n    model = pickle.load(f)", **plain),
        Route("joblib", "joblib (uncompressed)", ".joblib", "import joblib",
              "model = joblib.load(path)", **plain),
        Route("joblib-zlib3", "joblib (zlib 3)", ".z3.joblib", "import joblib",
              "model = joblib.load(path)", **plain),
        Route("cloudpickle", "cloudpickle", ".cloudpickle.pkl", "import cloudpickle",
              "with open(path, 'rb') as f:\n    model = cloudpickle.load(f)", **plain),
        Route("skops", "skops", ".skops", "import skops.io",
              f"model = skops.io.load(path, trusted={SKOPS_TRUSTED!r})", **plain),
        Route("onnx-sklearn", "ONNX (skl2onnx) in ONNX Runtime", ".onnx",
              "import onnxruntime as ort",
              ORT_LOAD,
              "model.run(None, {name: x})", dtype="float32", save_note="convert"),
    ]
    writers = {
        "pickle": lambda p: p.write_bytes(pickle.dumps(forest, protocol=5)),
        "joblib": lambda p: joblib.dump(forest, p),
        "joblib-zlib3": lambda p: joblib.dump(forest, p, compress=("zlib", 3)),
        "cloudpickle": lambda p: p.write_bytes(cloudpickle.dumps(forest)),
        "skops": lambda p: skops.io.dump(forest, p),
        "onnx-sklearn": lambda p: p.write_bytes(to_onnx(
            forest, X[:1].astype(np.float32), options={"zipmap": False},
            target_opset=FOREST_OPSET).SerializeToString()),
    }
    untrusted = None
    for route in routes:
        path = folder / f"forest{route.suffix}"
        route.save_seconds.extend(timed(writers[route.key], path) for _ in range(2))
        if route.key == "skops":
            untrusted = skops.io.get_untrusted_types(file=path)
    if untrusted is not None and sorted(untrusted) != SKOPS_TRUSTED:
        raise RuntimeError(f"skops found other untrusted types than the reviewed list: "
                           f"{untrusted}")
    for level in (1, 9):  # the ends of joblib's scale, for "higher = smaller, slower"
        path = folder / f"forest.z{level}.joblib"
        seconds = [timed(joblib.dump, forest, path, compress=("zlib", level)) for _ in range(2)]
        rows.append(Measurement(f"joblib (zlib {level}): save", "s", tuple(seconds),
                                key=f"joblib-zlib{level}-save"))
        rows.append(Measurement(f"joblib (zlib {level}): size", "bytes",
                                (path.stat().st_size,), key=f"joblib-zlib{level}-size"))
    onnx_differences(folder / "forest.onnx", forest, X[test], rows)
    return routes, X[test]


def onnx_differences(path: Path, forest, X: np.ndarray, rows: list[Measurement]) -> None:
    """How far the float32 ONNX file is from scikit-learn's float64 pipeline on unseen rows."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})
    expected = forest.predict_proba(X)
    rows.append(Measurement("ONNX vs scikit-learn: largest probability difference", "",
                            (float(np.abs(proba - expected).max()),), key="onnx-max-diff",
                            note=f"{len(X):,} unseen applicants"))
    rows.append(Measurement("ONNX vs scikit-learn: labels that differ", "",
                            (int((labels != forest.predict(X)).sum()),),
                            key="onnx-label-differences", note=f"of {len(X):,}"))


def save_torch(folder: Path, X: np.ndarray, rows: list[Measurement]) -> list[Route]:
    """CreditMLP as a state_dict, safetensors, TorchScript, .pt2, ONNX and AOTInductor."""
    import torch
    from safetensors.torch import save_file

    from autograder.course.models import CreditMLP

    torch.manual_seed(0)
    model = CreditMLP(n_features=X.shape[1]).eval()
    example = torch.from_numpy(X[:4].astype(np.float32))
    dynamic = {"x": {0: torch.export.Dim("batch")}}
    rebuild = f"model = CreditMLP(**{model.hparams!r})\n"
    mlp = dict(call="model(x)", dtype="float32", torch_input=True)
    inference = "import torch\ntorch.set_grad_enabled(False)\n"
    routes = [
        Route("state-dict", "state_dict (torch.save)", ".pt",
              inference + "from autograder.course.models import CreditMLP",
              rebuild + "model.load_state_dict(torch.load(path, weights_only=True))\n"
                        "model.eval()", **mlp),
        Route("safetensors", "safetensors", ".safetensors",
              inference + "from safetensors.torch import load_file\n"
                          "from autograder.course.models import CreditMLP",
              rebuild + "model.load_state_dict(load_file(path))\nmodel.eval()", **mlp),
        Route("torchscript", "TorchScript (deprecated)", ".ts.pt", inference,
              "import warnings\nwith warnings.catch_warnings():\n"
              "    warnings.simplefilter('ignore')\n    model = torch.jit.load(path)", **mlp,
              save_note="script"),
        Route("export", "torch.export (.pt2)", ".pt2", inference,
              "model = torch.export.load(path).module()", **mlp, save_note="export"),
        Route("onnx-torch", "ONNX (torch.onnx.export) in ONNX Runtime", ".torch.onnx",
              "import onnxruntime as ort",
              ORT_LOAD,
              "model.run(None, {name: x})", dtype="float32", save_note="export"),
        Route("aoti", "AOTInductor (compiled .pt2)", ".aoti.pt2", inference,
              "model = torch._inductor.aoti_load_package(path)", **mlp, save_note="compile"),
    ]

    def torchscript(path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its DeprecationWarning is a fact recorded below
            torch.jit.save(torch.jit.script(model), path)

    def exported():
        return torch.export.export(model, (example,), dynamic_shapes=dynamic)

    def onnx(path):
        with warnings.catch_warnings(), open(os.devnull, "w") as quiet:
            warnings.simplefilter("ignore")
            stdout, sys.stdout = sys.stdout, quiet  # the exporter reports progress on stdout
            try:
                torch.onnx.export(model, (example,), path, dynamic_shapes=dynamic,
                                  external_data=False)
            finally:
                sys.stdout = stdout

    def aoti(path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch._inductor.aoti_compile_and_package(exported(), package_path=str(path))

    writers = {
        "state-dict": lambda p: torch.save(model.state_dict(), p),
        "safetensors": lambda p: save_file(model.state_dict(), p),
        "torchscript": torchscript,
        "export": lambda p: torch.export.save(exported(), p),
        "onnx-torch": onnx,
        "aoti": aoti,
    }
    with tempfile.TemporaryDirectory(prefix="inductor-") as cache:
        os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", cache)
        for route in routes:
            path = folder / f"mlp{route.suffix}"
            tries = 1 if route.key == "aoti" else 2  # a compile takes tens of seconds
            route.save_seconds.extend(timed(writers[route.key], path) for _ in range(tries))
    return routes


def save_native(folder: Path, X: np.ndarray, y: np.ndarray, notes: list[str]) -> list[Route]:
    """LightGBM's and XGBoost's own formats, and Keras's .keras, where installed."""
    routes: list[Route] = []
    try:
        import lightgbm
        import xgboost
    except ImportError as exc:
        notes.append(f"LightGBM and XGBoost: not measured ({error_line(exc)}); "
                     "`pip install -r requirements-bench.txt` adds them.")
    else:
        booster = lightgbm.train({"objective": "binary", "verbose": -1, "num_threads": 1,
                                  "seed": 0}, lightgbm.Dataset(X, y), num_boost_round=TREES)
        route = Route("lightgbm", "LightGBM `save_model` (text)", ".lgb.txt", "import lightgbm",
                      "model = lightgbm.Booster(model_file=path)",
                      "model.predict(x, num_threads=1)")
        route.save_seconds.extend(timed(booster.save_model, folder / f"gbm{route.suffix}")
                                  for _ in range(2))
        routes.append(route)
        xgb = xgboost.XGBClassifier(n_estimators=TREES, n_jobs=1, random_state=0).fit(X, y)
        route = Route("xgboost", "XGBoost `save_model` (.ubj)", ".ubj", "import xgboost",
                      "model = xgboost.Booster(model_file=path)\n"
                      "model.set_param({'nthread': 1})", "model.inplace_predict(x)")
        route.save_seconds.extend(timed(xgb.save_model, folder / f"gbm{route.suffix}")
                                  for _ in range(2))
        routes.append(route)
    try:
        os.environ["KERAS_BACKEND"] = "torch"
        import keras
    except ImportError as exc:
        notes.append(f"Keras: not measured ({error_line(exc)}); "
                     "`pip install -r requirements-bench.txt` adds it.")
    else:
        net = keras.Sequential([keras.Input((X.shape[1],)),
                                keras.layers.Dense(32, activation="relu"),
                                keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)])
        route = Route("keras", "Keras `.keras` (torch backend)", ".keras",
                      "import os\nos.environ['KERAS_BACKEND'] = 'torch'\nimport keras\n"
                      "import torch\ntorch.set_grad_enabled(False)",
                      "model = keras.saving.load_model(path)", "model(x, training=False)",
                      dtype="float32", torch_input=True)
        route.save_seconds.extend(timed(net.save, folder / f"mlp{route.suffix}")
                                  for _ in range(2))
        routes.append(route)
    return routes


def child_command(route: Route, path: Path, inputs: Path) -> list[str]:
    code = CHILD.format(imports=route.imports, load=route.load, call=route.call,
                        dtype=route.dtype, torch_input=route.torch_input)
    return [sys.executable, "-I", "-B", "-W", "ignore", "-c", code, str(path), str(inputs),
            str(CALLS), str(BATCH)]


def measure_routes(routes: list[tuple[Route, Path]], inputs: Path, repeats: int,
                   rows: list[Measurement], notes: list[str], facts: dict) -> None:
    """Interleaved rounds of fresh processes, every route once per round."""
    from autograder.artifacts.analysis import analyze

    env = {**python_env(), **THREADS, "KERAS_BACKEND": "torch"}
    runs: dict[str, list[dict]] = {route.key: [] for route, _ in routes}
    failed: dict[str, str] = {}
    for round_ in range(repeats):
        progress(f"formats: fresh-process round {round_ + 1} of {repeats}")
        for route, path in routes:
            if route.key in failed:
                continue
            done = run_command(child_command(route, path, inputs), timeout=300, env=env,
                               cwd=path.parent)
            try:
                runs[route.key].append(json.loads(done.stdout.strip().splitlines()[-1]))
            except (ValueError, IndexError):
                failed[route.key] = done.problem or "no result"
    for route, path in routes:
        if route.key in failed:
            notes.append(f"{route.label}: not measured: {failed[route.key]}")
            continue
        got = runs[route.key]
        size = path.stat().st_size
        how = {"convert": "convert and save", "export": "export and save",
               "script": "script and save", "compile": "compile and package"}
        rows += [
            Measurement(f"{route.label}: size", "bytes", (size,), key=f"{route.key}-size"),
            Measurement(f"{route.label}: {how.get(route.save_note, 'save')}", "s",
                        tuple(route.save_seconds), key=f"{route.key}-save"),
            Measurement(f"{route.label}: start-up (imports + load)", "s",
                        tuple(r["imports"] + r["load"] for r in got), key=f"{route.key}-startup",
                        note=f"{got[0]['modules']:,} modules imported"),
            Measurement(f"{route.label}: load call", "s", tuple(r["load"] for r in got),
                        key=f"{route.key}-load"),
            Measurement(f"{route.label}: one row", "s", tuple(r["one_row"] for r in got),
                        key=f"{route.key}-one-row", note=f"median of {CALLS} calls"),
            Measurement(f"{route.label}: {BATCH:,} rows", "s", tuple(r["batch"] for r in got),
                        key=f"{route.key}-batch"),
        ]
        facts[f"{route.key}-needs"] = got[0]["roots"]
        facts[f"{route.key}-verdict"] = str(analyze(path).verdict)  # the checker, read-only


def record_facts(folder: Path, facts: dict, rows: list[Measurement]) -> None:
    """What loading a pickle runs, TorchScript's warning, and libtorch's size."""
    import joblib
    import torch

    class Payload:
        def __reduce__(self):  # "to rebuild me, call os.getpid()": harmless, but a call
            return (os.getpid, ())

    data = pickle.dumps(Payload())
    facts["pickle-runs-payload"] = pickle.loads(data) == os.getpid()
    joblib.dump(Payload(), folder / "payload.joblib")
    facts["joblib-runs-payload"] = joblib.load(folder / "payload.joblib") == os.getpid()
    (folder / "payload.pt").write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a note about the pickle protocol
            torch.load(folder / "payload.pt", weights_only=True)
        facts["weights-only-refuses-payload"] = False
    except pickle.UnpicklingError:
        facts["weights-only-refuses-payload"] = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.script(torch.nn.Linear(2, 1))
    deprecations = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    facts["torchscript-warning"] = deprecations[0] if deprecations else ""
    lib = Path(torch.__file__).parent / "lib"
    libtorch = sum(p.stat().st_size for p in lib.glob("lib*.so*"))
    rows.append(Measurement("libtorch's shared libraries (what C++ deployment loads)", "bytes",
                            (libtorch,), key="libtorch-size", note=f"{lib.name}/ of torch"))


def run(quick: bool = False) -> Section:
    start = time.perf_counter()
    rows: list[Measurement] = []
    notes: list[str] = []
    facts: dict = {}
    repeats = QUICK_REPEATS if quick else REPEATS
    with tempfile.TemporaryDirectory(prefix="bench-formats-") as tmp:
        folder = Path(tmp)
        progress("formats: saving the forest")
        routes, X_test = save_forest(folder, quick, facts, rows)
        inputs = folder / "inputs.npy"
        np.save(inputs, X_test, allow_pickle=False)
        saved = [(r, folder / f"forest{r.suffix}") for r in routes]
        if quick:
            saved = [(r, p) for r, p in saved if r.key in ("pickle", "onnx-sklearn")]
        else:
            progress("formats: saving the MLP (the AOTInductor compile takes a while)")
            saved += [(r, folder / f"mlp{r.suffix}") for r in save_torch(folder, X_test, rows)]
            X, y = credit_arrays(ROWS)
            saved += [(r, folder / f"{'mlp' if r.key == 'keras' else 'gbm'}{r.suffix}")
                      for r in save_native(folder, X, y, notes)]
        measure_routes(saved, inputs, repeats, rows, notes, facts)
        record_facts(folder, facts, rows)
    intro = f"""
The credit pipeline (StandardScaler → RandomForest, {QUICK_TREES if quick else TREES} trees)
and the course's `CreditMLP` were saved in every route of the format guide; LightGBM and XGBoost
rows hold a gradient-boosted model of {TREES} trees on the same data, and the Keras row a copy of
the MLP, so compare those rows within their own model. Save times are those of this process
(for ONNX, TorchScript, `torch.export` and AOTInductor: converting or compiling too). Then, for
each file, a fresh Python process per repetition did what a server does at start-up, on one
thread: import what the format needs, load the file, then predict one row {CALLS} times (the
median is shown) and {BATCH:,} rows at once (best of 3). Rounds are interleaved, every format once
per round, {repeats} rounds.
"""
    notes.append("ExecuTorch is not measured: installing it would add coremltools, "
                 "huggingface_hub, tokenizers, torchao and many more packages to the course's "
                 "environment, and its `.pte` files run in its own C++ runtime on phones and "
                 "microcontrollers, not in Python.")
    section = Section("formats", "Format guide figures", intro, rows, notes,
                      time.perf_counter() - start)
    section.facts, section.plotted = facts, False  # the guide shows these rows
    return section
