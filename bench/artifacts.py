"""Artifact checks: fresh-process `verify` latency per format, and `inspect` throughput.

One small model is saved in every format the grader checks. Each row times the whole
`autograder verify` command, as an instructor or a grading script runs it: the parent
analyses the file, starts the sandboxed child, the child imports what the format needs, loads,
predicts, and the parent compares. The goal of a row is computed in the same run: ONNX must take
≤ 0.5 s; any other format ≤ 0.5 s + the time a fresh interpreter takes to import exactly the
modules that format's loader imported (recorded by running the grader's child loader on the
file once), so a format is never blamed for the size of its library.
"""

from __future__ import annotations

import json
import pickle
import sys
import tempfile
import time
import warnings
from dataclasses import KW_ONLY, dataclass, replace
from pathlib import Path

import numpy as np

from autograder.common import units
from autograder.common.text import last_line
from bench.core import (
    AUTOGRADER,
    MB,
    Measurement,
    Section,
    progress,
    python_env,
    run_command,
    with_unit,
)

ONNX_GOAL = 0.5  # seconds for a whole ONNX verify
MARGIN = 0.5  # seconds allowed on top of the loader's own import time
SEED = 20241122
MODEL_CLASS = "autograder.course.models:CreditMLP"


@dataclass(frozen=True)
class Artifact:
    label: str  # row label
    path: Path
    inputs: Path
    expected: Path
    _: KW_ONLY
    hparams: dict | None = None  # a weights-only file: CreditMLP's constructor arguments
    modules: Path | None = None  # JSON list of what its loader imports; None for ONNX
    problem: str = ""  # why it cannot be measured (its loader failed once already)

    @property
    def model_class(self) -> str:
        return MODEL_CLASS if self.hparams is not None else ""

    @property
    def extra(self) -> tuple[str, ...]:
        """verify's arguments that rebuild the model of a weights-only file."""
        if self.hparams is None:
            return ()
        return "--model-class", MODEL_CLASS, "--model-kwargs", json.dumps(self.hparams)


def _save(folder: Path, stem: str, X, Y) -> tuple[Path, Path]:
    inputs, expected = folder / f"{stem}.X.npy", folder / f"{stem}.Y.npy"
    np.save(inputs, np.asarray(X), allow_pickle=False)
    np.save(expected, np.asarray(Y), allow_pickle=False)
    return inputs, expected


def credit_arrays(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Numeric credit features and the default label."""
    from autograder.course import credit

    frame = credit.generate(n, seed=seed)
    return frame[list(credit.NUMERIC_FEATURES)].to_numpy(dtype=float), \
        frame[credit.TARGET].to_numpy()


PROBE = """
import sys
started = set(sys.modules)
import json
from pathlib import Path
import autograder.artifacts.child as child
args = child.parse_args(sys.argv[2:])
status = child.run(args.artifact, args, args.out)
if status["stage"] != "done":
    raise SystemExit(f"{status['stage']}: {status.get('error_type')}: {status.get('error')}")
own = ("autograder", "autograder.artifacts.child", "autograder.artifacts.handoff",
       "autograder.artifacts.allowlist")
loaded = [m for m in sys.modules if m not in started and m not in own]
Path(sys.argv[1]).write_text(json.dumps(loaded))
"""

IMPORT = """
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def loader_modules(artifact: Artifact, folder: Path) -> Path:
    """Run the grader's own child loader on `artifact` once, in a fresh process, and record
    every module it imported, in import order (a JSON list in a file; the return value).

    A static list would miss what a loader imports lazily: `torch.export.load` alone pulls in
    sympy, networkx and ~1,200 torch modules that `import torch` does not."""
    from autograder.artifacts.analysis import analyze
    from autograder.artifacts.reload import child_command

    report = analyze(artifact.path)
    if not report.loadable:
        raise ValueError(f"{artifact.path.name}: {report.reason()}")
    record = folder / f"{artifact.path.name}.modules.json"
    out = folder / f"{artifact.path.name}.out"
    out.mkdir()
    child = child_command(report, artifact.inputs, out, method="predict",
                          model_class=artifact.model_class, model_kwargs=artifact.hparams)
    arguments = child[child.index("-c") + 2:]  # the child's own arguments, as verify gives them
    command = [sys.executable, "-I", "-B", "-W", "ignore", "-c", PROBE, str(record),
               *arguments, "--no-audit"]
    done = run_command(command, timeout=180, env=python_env(), cwd=out)
    if not done.ok:
        raise RuntimeError(f"{artifact.path.name}: the loader failed: {done.problem}")
    return record


def build_sklearn(folder: Path, n_rows: int, trees: int) -> list[Artifact]:
    """A StandardScaler → RandomForest pipeline as pickle, joblib, skops and ONNX."""
    import joblib
    import skops.io
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = credit_arrays(2 * n_rows)
    train, test = slice(0, n_rows), slice(n_rows, 2 * n_rows)
    model = make_pipeline(StandardScaler(), RandomForestClassifier(
        n_estimators=trees, random_state=0, n_jobs=1)).fit(X[train], y[train])
    inputs, expected = _save(folder, "forest", X[test], model.predict(X[test]))
    (folder / "forest.pkl").write_bytes(pickle.dumps(model, protocol=5))
    joblib.dump(model, folder / "forest.joblib")
    skops.io.dump(model, folder / "forest.skops")
    X32 = X[test].astype(np.float32)
    (folder / "forest.onnx").write_bytes(
        to_onnx(model, X32[:1], options={"zipmap": False}, target_opset=17).SerializeToString())
    onnx_inputs, onnx_expected = _save(folder, "forest32", X32, model.predict(X32))
    return [Artifact("pickle (protocol 5)", folder / "forest.pkl", inputs, expected),
            Artifact("joblib (uncompressed)", folder / "forest.joblib", inputs, expected),
            Artifact("skops", folder / "forest.skops", inputs, expected),
            Artifact("ONNX (skl2onnx)", folder / "forest.onnx", onnx_inputs, onnx_expected)]


def build_torch(folder: Path, n_rows: int) -> list[Artifact]:
    """`CreditMLP` as a state_dict, safetensors, TorchScript and a torch.export `.pt2`."""
    import torch
    from safetensors.torch import save_file

    from autograder.course.models import CreditMLP

    torch.manual_seed(0)
    X, _ = credit_arrays(n_rows)
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    model = CreditMLP(n_features=X.shape[1], hidden=(16, 8)).eval()
    with torch.inference_mode():
        logits = model(torch.from_numpy(X)).numpy()
    inputs, expected = _save(folder, "mlp", X, logits)
    weights = dict(model.hparams)
    torch.save(model.state_dict(), folder / "mlp.pt")
    save_file(model.state_dict(), folder / "mlp.safetensors")
    with warnings.catch_warnings():  # torch.jit's DeprecationWarning is lesson 03's business
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(model), folder / "mlp_scripted.pt")
    exported = torch.export.export(model, (torch.from_numpy(X[:4]),),
                                   dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
    torch.export.save(exported, folder / "mlp.pt2")
    return [Artifact("torch state_dict", folder / "mlp.pt", inputs, expected, hparams=weights),
            Artifact("safetensors", folder / "mlp.safetensors", inputs, expected,
                     hparams=weights),
            Artifact("TorchScript", folder / "mlp_scripted.pt", inputs, expected),
            Artifact("torch.export (.pt2)", folder / "mlp.pt2", inputs, expected)]


def build(folder: Path, quick: bool) -> list[Artifact]:
    """Every artifact, with the modules its loader imports filled in."""
    if quick:  # two formats, one cheap and one ONNX, are enough to exercise the section
        artifacts = [a for a in build_sklearn(folder, 100, 5)
                     if a.path.suffix in (".pkl", ".onnx")]
    else:
        artifacts = build_sklearn(folder, 300, 20) + build_torch(folder, 300)
    recorded = []
    for a in artifacts:
        modules, problem = None, ""
        if a.path.suffix != ".onnx":
            try:
                modules = loader_modules(a, folder)
            except (RuntimeError, ValueError) as exc:
                problem = str(exc)
        recorded.append(replace(a, modules=modules, problem=problem))
    return recorded


def verify_command(artifact: Artifact) -> list[str]:
    return [AUTOGRADER, "verify", str(artifact.path), "--inputs",
            str(artifact.inputs), "--expected", str(artifact.expected), *artifact.extra,
            "--json"]


def import_command(modules: Path) -> list[str]:
    """Import the recorded modules, in order, with the child's own interpreter flags."""
    return [sys.executable, "-I", "-B", "-W", "ignore", "-c", IMPORT, str(modules)]


def _verify_once(artifact: Artifact, env: dict) -> tuple[float, float, str]:
    """(wall seconds, the child's load seconds, problem)."""
    done = run_command(verify_command(artifact), timeout=180, env=env, cwd=artifact.path.parent)
    try:
        fields = json.loads(done.stdout)
    except ValueError:
        fields = {}
    if done.returncode != 0:
        return done.seconds, 0.0, fields.get("message") or done.problem
    return done.seconds, float(fields.get("load_seconds") or 0.0), ""


def time_verify(artifacts: list[Artifact], repeats: int) -> tuple[list[Measurement], list[str]]:
    """Interleaved rounds: in each, every format's import baseline and then its verify, so
    load on the machine hits all formats and both halves of each comparison alike."""
    env = python_env()
    walls: dict[str, list[float]] = {a.label: [] for a in artifacts}
    loads: dict[str, list[float]] = {a.label: [] for a in artifacts}
    imports: dict[str, list[float]] = {a.label: [] for a in artifacts}
    problems = {a.label: a.problem for a in artifacts if a.problem}
    for round_ in range(repeats):
        progress(f"artifacts: verify round {round_ + 1} of {repeats}")
        for artifact in artifacts:
            label = artifact.label
            if label in problems:
                continue
            if artifact.modules is not None:
                done = run_command(import_command(artifact.modules), timeout=180, env=env)
                if not done.ok:
                    problems[label] = f"importing its loader's modules failed: {done.problem}"
                    continue
                imports[label].append(done.seconds)
            seconds, load, problem = _verify_once(artifact, env)
            if problem:
                problems[label] = f"verify failed: {last_line(problem)}"
                continue
            walls[label].append(seconds)
            loads[label].append(load)
    rows, notes = [], []
    for artifact in artifacts:
        label = artifact.label
        if label in problems:
            notes.append(f"{label}: not measured: {problems[label]}")
            continue
        load = f"load in child {with_unit(float(np.median(loads[label])), 's')}"
        if artifact.modules is None:
            rows.append(Measurement(f"{label}: verify", "s", tuple(walls[label]),
                                    goal=ONNX_GOAL, note=f"{load}; fixed goal"))
            continue
        count = len(json.loads(artifact.modules.read_text()))
        baseline = Measurement(f"{label}: import its loader's modules", "s",
                               tuple(imports[label]),
                               note=f"{count:,} modules, fresh process")
        rows.append(Measurement(f"{label}: verify", "s", tuple(walls[label]),
                                goal=baseline.median + MARGIN,
                                note=f"goal = import {with_unit(baseline.median, 's')} "
                                     f"+ {MARGIN} s; {load}"))
        rows.append(baseline)
    return rows, notes


# ------------------------------------------------------- checks in one process

CHECKS_PER_PROCESS = 5
# A lesson's kernel: one process checks file after file (verify_file is check_artifact's flow).
REPEATED = """
import json, sys, time
from pathlib import Path
import numpy as np
from autograder.artifacts.verification import Expected, verify_file
path, inputs, expected = map(Path, sys.argv[1:4])
n, warm = sys.argv[4:6]
want = Expected(outputs=np.load(expected, allow_pickle=False))
times = []
for _ in range(int(n)):
    start = time.perf_counter()
    v = verify_file(path, inputs, lambda report: want, warm=warm == "warm")
    assert v.identical, v.conclusion
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def time_repeated_checks(artifact: Artifact, repeats: int, key: str = "check"
                         ) -> tuple[list[Measurement], list[str]]:
    """The same file checked CHECKS_PER_PROCESS times in one process, with a fresh child each
    time and with warm children (artifacts.forkserver), in interleaved rounds. The first warm
    check starts the server; the later ones are what a lesson's other checks cost. The rows'
    keys start with `key`."""
    env = python_env()
    first: list[float] = []
    later: dict[str, list[float]] = {"warm": [], "fresh": []}
    for round_ in range(repeats):
        progress(f"artifacts: checks in one process, round {round_ + 1} of {repeats}")
        for mode in ("warm", "fresh"):
            done = run_command([sys.executable, "-c", REPEATED, str(artifact.path),
                                str(artifact.inputs), str(artifact.expected),
                                str(CHECKS_PER_PROCESS), mode], timeout=300, env=env)
            try:
                times = json.loads(done.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                return [], [f"{artifact.label}, checks in one process: not measured: "
                            f"{done.problem or 'no result'}"]
            later[mode].extend(times[1:])
            if mode == "warm":
                first.append(times[0])
    fresh = Measurement(f"{artifact.label}: a later check in the same process, fresh child",
                        "s", tuple(later["fresh"]), key=f"{key}-fresh-later",
                        note=f"checks 2–{CHECKS_PER_PROCESS} of {CHECKS_PER_PROCESS}")
    warm = Measurement(f"{artifact.label}: a later check in the same process, warm child",
                       "s", tuple(later["warm"]), key=f"{key}-warm-later",
                       goal=fresh.median / 3,
                       note=f"forked from the warm server; goal = fresh ÷ 3 "
                            f"({units.ratio(fresh.median / np.median(later['warm']))} "
                            f"faster here)")
    start_row = Measurement(f"{artifact.label}: the first warm check (starts the server)", "s",
                            tuple(first), key=f"{key}-warm-first", note="once per process")
    return [warm, fresh, start_row], []


# ---------------------------------------------------------------------- inspect


def big_files(folder: Path, quick: bool) -> dict[str, Path]:
    """A KNN pipeline (it stores its training data) on tiled credit rows, three ways."""
    import joblib
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = credit_arrays(5_000 if quick else 200_000)
    tiles = 1 if quick else 16  # 3.2 M rows × 10 features × 8 bytes = 256 MB of training data
    X, y = np.tile(X, (tiles, 1)), np.tile(y, tiles)
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(algorithm="brute")).fit(X, y)
    del X, y
    files = {"pickle protocol 5": folder / "knn.pkl",
             "joblib uncompressed": folder / "knn.joblib",
             "joblib zlib 3": folder / "knn_zlib.joblib"}
    with open(files["pickle protocol 5"], "wb") as f:
        pickle.dump(model, f, protocol=5)
    joblib.dump(model, files["joblib uncompressed"])
    joblib.dump(model, files["joblib zlib 3"], compress=("zlib", 3))
    return files


def inspect_command(path: Path) -> list[str]:
    return [AUTOGRADER, "inspect", str(path), "--json"]


def time_inspect(files: dict[str, Path], tiny: Path, repeats: int
                 ) -> tuple[list[Measurement], list[str]]:
    """Whole `inspect` commands, interleaved; MB/s of file size (compressed size for zlib)."""
    env = python_env()
    seconds: dict[str, list[float]] = {name: [] for name in files}
    startup: list[float] = []
    problems: dict[str, str] = {}
    for round_ in range(repeats):
        progress(f"artifacts: inspect round {round_ + 1} of {repeats}")
        done = run_command(inspect_command(tiny), timeout=60, env=env)
        if done.ok:
            startup.append(done.seconds)
        for name, path in files.items():
            done = run_command(inspect_command(path), timeout=300, env=env)
            verdict = json.loads(done.stdout).get("verdict") if done.stdout.startswith("{") \
                else None
            if not done.ok or verdict != "safe":
                problems[name] = done.problem or f"verdict {verdict!r}, expected 'safe'"
                continue
            seconds[name].append(done.seconds)
    rows, notes = [], []
    for name, path in files.items():
        if name in problems:
            notes.append(f"inspect {name}: not measured: {problems[name]}")
            continue
        size = path.stat().st_size
        rows.append(Measurement(f"inspect {name}", "MB/s",
                                tuple(size / MB / s for s in seconds[name]),
                                higher_is_better=True,
                                note=f"{units.size(size)} file; whole command"))
    if startup:
        rows.append(Measurement("inspect the small forest pickle", "s", tuple(startup),
                                note=f"{units.size(tiny.stat().st_size)}: mostly start-up, "
                                     "which every inspect row pays"))
    return rows, notes


def run(quick: bool = False) -> Section:
    start = time.perf_counter()
    repeats, inspect_repeats = (1, 1) if quick else (5, 5)
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as tmp:
        folder = Path(tmp)
        progress("artifacts: saving one model in every format")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            artifacts = build(folder, quick)
        rows_checked = len(np.load(artifacts[0].expected))
        rows, notes = time_verify(artifacts, repeats)
        # one file of each warm family, scikit-learn's and torch's (a quick run has no torch)
        for prefix, key in (("pickle", "check"), ("TorchScript", "torch-check")):
            found = next((a for a in artifacts if a.label.startswith(prefix)), None)
            if found is not None and not found.problem:
                check_rows, check_notes = time_repeated_checks(found, repeats, key)
                rows, notes = rows + check_rows, notes + check_notes
        progress("artifacts: writing the large files for inspect")
        files = big_files(folder, quick)
        sizes = {name: path.stat().st_size for name, path in files.items()}
        inspect_rows, inspect_notes = time_inspect(files, artifacts[0].path, inspect_repeats)
    intro = f"""
**Verify latency.** A scikit-learn pipeline (StandardScaler → RandomForest) and the course's
PyTorch `CreditMLP` were saved in every format the grader checks, then each file was checked
with the whole command an instructor runs, `autograder verify FILE --inputs X.npy
--expected Y.npy`, {repeats} times per format, on {rows_checked} held-out rows.
The time is the command's wall clock: the static analysis, a fresh sandboxed child that imports
the format's libraries, loads the file, predicts, and the comparison. Rounds are interleaved
(every format once per round), so background load hits all formats alike.

**Goals.** ONNX must verify in ≤ {ONNX_GOAL} s. Every other format must verify within
{MARGIN} s of the time a fresh interpreter (`python -I -B`, as the child runs) takes to import
exactly the modules that format's loader imports. That list is recorded by running the
grader's own child loader on the file once, so it includes what loaders import lazily
(unpickling a scikit-learn model imports its modules; `torch.export.load` pulls in sympy and
over a thousand torch modules that `import torch` does not). The import is timed in the same
rounds as the verify, so each goal is computed here, not typed: the checker is judged on its
own overhead, not on the size of scikit-learn or torch.

**Checks in one process.** A lesson's kernel checks file after file. The pickle, then the
TorchScript file, is checked {CHECKS_PER_PROCESS} times in one process, {repeats} rounds,
with a fresh child each time and with a warm child: forked from a process that imported
scikit-learn (torch, for the TorchScript file) once (`autograder/artifacts/forkserver.py`),
behind the same walls. A warm check must take at most a third of a fresh one, measured side
by side.

**Inspect throughput.** `autograder inspect` reads a file without running it. The
large files hold a k-nearest-neighbours pipeline, which stores its training data
({units.size(sizes['pickle protocol 5'])} as a pickle); MB/s is the file's size on disk over
the whole command's wall time, {inspect_repeats} runs each, interleaved, from the page cache
(the files were just written), so disk speed is not part of it. The zlib row's MB/s is of
compressed bytes; inspect decompresses
{units.ratio(sizes['pickle protocol 5'] / max(sizes['joblib zlib 3'], 1))} as many.
"""
    notes = notes + inspect_notes + [
        "The ONNX file takes float32 inputs; its labels are compared tie-aware (a float32 "
        "forest may flip a label only where the trees' votes are exactly tied).",
        "`load in child` is the time the sandboxed child spent in the loader itself, as "
        "`verify --json` reports it (for pickle and joblib it includes importing the "
        "scikit-learn modules that unpickling triggers); the rest of a row is process "
        "start-up, library imports, the static analysis, predicting and the comparison.",
    ]
    if quick:
        notes.append("Quick mode: two formats, one repetition, a small inspect file.")
    return Section("artifacts", "Artifact checks", intro, rows + inspect_rows, notes,
                   time.perf_counter() - start)
