"""The artifact corpora, generated at test time into a temporary folder (never committed).

- **benign**: honest artifacts of every format the course teaches, each with the inputs
  (`X.npy`, or a DataFrame folder) and the outputs the live model gave (`Y.npy`), so `inspect`
  and `verify` can be checked end to end;
- **malicious**: one file per attack technique; loading it with its natural loader (pickle,
  joblib, torch.load(weights_only=False), torch.export.load, numpy.load(allow_pickle=True))
  creates a canary file. `build` proves every payload is live by running those loaders in
  throwaway processes, then deletes the canaries: afterwards, a canary that appears means the
  grader ran a payload;
- **corrupted**: empty, truncated, random, text, misnamed, a decompression bomb, ONNX whose
  external data escapes its folder, and other broken files.

Use `get(tmp_path_factory)` from a session-scoped fixture: the corpora are built once per test
session (about 15 s, mostly the torch and ONNX exports).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import subprocess
import sys
import warnings
import zipfile
import zlib
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import joblib
import numpy as np
from payload import Payload

from autograder.artifacts.handoff import plain_array, save_inputs
from autograder.course import credit

SEED = 20241122
N_ROWS = 300
BOMB_BYTES = 1 << 30  # what the bomb expands to; tests analyse it with a smaller budget


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    format: str  # what detection must say ("" for unreadable files)
    verdict: str  # what inspect must say
    inputs: Path | None = None
    expected: Path | None = None
    _: KW_ONLY
    method: str = "predict"
    model_class: str = ""
    model_kwargs: dict = field(default_factory=dict)
    technique: str = ""
    canary: Path | None = None
    loader: str = ""  # the natural loader that runs the payload (malicious only)
    max_bytes: int | None = None  # a smaller analysis budget (the bomb)


@dataclass
class Corpus:
    root: Path
    canaries: Path
    benign: list[Case] = field(default_factory=list)
    malicious: list[Case] = field(default_factory=list)
    corrupted: list[Case] = field(default_factory=list)
    live: dict[str, bool] = field(default_factory=dict)  # technique -> payload really runs

    def case(self, name: str) -> Case:
        return next(c for c in self.benign + self.malicious + self.corrupted if c.name == name)



# ---------------------------------------------------------------------- data


def data():
    frame = credit.generate(N_ROWS * 3, seed=SEED)
    numeric = frame[list(credit.NUMERIC_FEATURES)].to_numpy(dtype=float)
    codes = np.column_stack([frame[c].astype("category").cat.codes.to_numpy(dtype=float)
                             for c in credit.CATEGORICAL_FEATURES])
    y = frame[credit.TARGET].to_numpy()
    return frame, numeric, codes, y


def _save_case(folder: Path, name: str, X, Y) -> tuple[Path, Path]:
    if hasattr(X, "columns"):
        inputs = folder / f"{name}.inputs"
        save_inputs(X, inputs)
    else:
        inputs = folder / f"{name}.X.npy"
        np.save(inputs, plain_array(X), allow_pickle=False)
    expected = folder / f"{name}.Y.npy"
    np.save(expected, plain_array(Y), allow_pickle=False)
    return inputs, expected


# ---------------------------------------------------------------------- benign


def _sklearn_benign(folder: Path) -> list[Case]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
        StackingClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC

    frame, numeric, codes, y = data()
    train, test = slice(0, 2 * N_ROWS), slice(2 * N_ROWS, 3 * N_ROWS)
    coded = np.column_stack([numeric, codes])
    n = numeric.shape[1]

    def logreg():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))

    forest = make_pipeline(StandardScaler(),
                           RandomForestClassifier(n_estimators=20, random_state=0, n_jobs=1))
    onehot = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), list(range(n))),
                           ("cat", OneHotEncoder(handle_unknown="ignore"), [n, n + 1])]),
        LogisticRegression(max_iter=500))
    frame_features = list(credit.NUMERIC_FEATURES) + list(credit.CATEGORICAL_FEATURES)
    with_strings = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), list(credit.NUMERIC_FEATURES)),
                           ("cat", OneHotEncoder(handle_unknown="ignore"),
                            list(credit.CATEGORICAL_FEATURES))]),
        GradientBoostingClassifier(n_estimators=10, random_state=0))
    models = {  # name: (model, X for fitting and checking, how to save)
        "logreg.pkl": (logreg(), numeric, ("pickle", 5)),
        "logreg_p0.pkl": (logreg(), numeric, ("pickle", 0)),
        "logreg_p2.pkl": (logreg(), numeric, ("pickle", 2)),
        "forest.joblib": (forest, numeric, ("joblib", 0)),
        "forest_p0.pkl": (forest, numeric, ("pickle", 0)),  # array data as long text lines
        "forest_zlib.joblib": (forest, numeric, ("joblib", ("zlib", 3))),
        "forest_gzip.joblib": (forest, numeric, ("joblib", ("gzip", 3))),
        "forest_bz2.joblib": (forest, numeric, ("joblib", ("bz2", 3))),
        "forest_lzma.joblib": (forest, numeric, ("joblib", ("lzma", 3))),
        "forest_xz.joblib": (forest, numeric, ("joblib", ("xz", 3))),
        "hist_gb.joblib": (HistGradientBoostingClassifier(max_iter=20, random_state=0), numeric,
                           ("joblib", 3)),
        "mlp.pkl": (make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=200,
                                                                   random_state=0)),
                    numeric, ("pickle", 5)),
        "svc.pkl": (make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)),
                    numeric, ("pickle", 5)),
        "knn.joblib": (make_pipeline(StandardScaler(), KNeighborsClassifier(algorithm="kd_tree")),
                       numeric, ("joblib", 0)),
        "onehot.pkl": (onehot, coded, ("pickle", 5)),
        "strings_frame.joblib": (with_strings, frame[frame_features], ("joblib", 0)),
        "clip.pkl": (make_pipeline(StandardScaler(),
                                   FunctionTransformer(np.clip, kw_args={"a_min": -3.0,
                                                                         "a_max": 3.0}),
                                   RandomForestClassifier(n_estimators=10, random_state=0)),
                     numeric, ("pickle", 5)),
        "grid.joblib": (GridSearchCV(logreg(), {"logisticregression__C": [0.1, 1.0]}, cv=2),
                        numeric, ("joblib", 3)),
        "stacking.pkl": (StackingClassifier([("lr", logreg()),
                                             ("rf", RandomForestClassifier(n_estimators=5,
                                                                           random_state=0))]),
                         numeric, ("pickle", 4)),
    }
    cases = []
    for name, (model, X, (how, option)) in models.items():
        X_train = X.iloc[train] if hasattr(X, "iloc") else X[train]
        X_test = X.iloc[test] if hasattr(X, "iloc") else X[test]
        model.fit(X_train, y[train])
        path = folder / name
        if how == "pickle":
            path.write_bytes(pickle.dumps(model, protocol=option))
        else:
            joblib.dump(model, path, compress=option)
        inputs, expected = _save_case(folder, name, X_test, model.predict(X_test))
        cases.append(Case(name, path, "joblib" if how == "joblib" else "pickle", "safe",
                          inputs, expected))

    values = {  # artifacts that are data, checked with --method value
        "array.pkl": ("pickle", np.arange(12.0).reshape(3, 4)),
        "arrays.joblib": ("joblib", np.random.default_rng(0).normal(size=(50, 4))),
        "object_array.joblib": ("joblib", np.array(["repaid", "default", "repaid"],
                                                   dtype=object)),
        "array.npy": ("npy", np.linspace(0, 1, 7)),
    }
    for name, (how, value) in values.items():
        path = folder / name
        if how == "pickle":
            path.write_bytes(pickle.dumps(value, protocol=5))
        elif how == "joblib":
            joblib.dump(value, path)
        else:
            np.save(path, value)
        expected = folder / f"{name}.Y.npy"
        np.save(expected, plain_array(value), allow_pickle=False)
        cases.append(Case(name, path, how if how != "npy" else "npy", "safe", None, expected,
                          method="value"))

    # .npz archives: each array is an output, the first is compared (with --method value).
    rng = np.random.default_rng(1)
    weights, labels = rng.normal(size=(20, 3)), np.array(["repaid", "default"], dtype=object)
    for name, save in (("arrays.npz", np.savez), ("arrays_compressed.npz", np.savez_compressed)):
        with open(folder / name, "wb") as f:  # a path without .npz would get it appended
            save(f, weights=weights, bias=np.arange(3), labels=labels)
        expected = folder / f"{name}.Y.npy"
        np.save(expected, weights, allow_pickle=False)
        cases.append(Case(name, folder / name, "npz", "safe", None, expected, method="value"))

    import skops.io

    skops_path = folder / "clip.skops"
    skops.io.dump(models["clip.pkl"][0], skops_path)
    cases.append(Case("clip.skops", skops_path, "skops", "safe",
                      folder / "clip.pkl.X.npy", folder / "clip.pkl.Y.npy"))

    from skl2onnx import to_onnx

    rf = models["forest.joblib"][0]
    onnx_path = folder / "forest_skl2onnx.onnx"
    X_test32 = numeric[test].astype(np.float32)
    onnx_path.write_bytes(to_onnx(rf, X_test32[:1], options={"zipmap": False},
                                  target_opset=17).SerializeToString())
    inputs, expected = _save_case(folder, "forest_skl2onnx.onnx", X_test32, rf.predict(X_test32))
    cases.append(Case("forest_skl2onnx.onnx", onnx_path, "onnx", "safe", inputs, expected))
    return cases


def _credit_mlp():
    import torch

    from autograder.course.models import CreditMLP

    torch.manual_seed(0)
    _, numeric, _, y = data()
    X = (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)
    X = torch.tensor(X, dtype=torch.float32)
    target = torch.tensor(y, dtype=torch.long)
    model = CreditMLP(n_features=X.shape[1], hidden=(16, 8))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(30):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(X[:2 * N_ROWS]), target[:2 * N_ROWS]).backward()
        optimizer.step()
    return model.eval(), X[2 * N_ROWS:].numpy()


def _torch_benign(folder: Path) -> list[Case]:
    import torch
    from safetensors.torch import save_file

    model, X = _credit_mlp()
    with torch.inference_mode():
        logits = model(torch.from_numpy(X)).numpy()
    inputs, expected = _save_case(folder, "credit_mlp", X, logits)
    klass, kwargs = "autograder.course.models:CreditMLP", model.hparams
    cases = []

    def case(name, fmt, verdict, **extra):
        cases.append(Case(name, folder / name, fmt, verdict, inputs, expected, **extra))

    torch.save(model.state_dict(), folder / "state_dict.pt")
    case("state_dict.pt", "torch", "safe", model_class=klass, model_kwargs=kwargs)
    torch.save(model.state_dict(), folder / "state_dict_legacy.pt",
               _use_new_zipfile_serialization=False)
    case("state_dict_legacy.pt", "torch-legacy", "safe", model_class=klass, model_kwargs=kwargs)
    torch.save({"model_state_dict": model.state_dict(), "epoch": 30, "lr": 0.01},
               folder / "checkpoint.pt")
    case("checkpoint.pt", "torch", "safe", model_class=klass, model_kwargs=kwargs)
    save_file(model.state_dict(), folder / "credit_mlp.safetensors")
    case("credit_mlp.safetensors", "safetensors", "safe", model_class=klass,
         model_kwargs=kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(model), folder / "scripted.pt")
    case("scripted.pt", "torchscript", "sandbox-only")
    batch = torch.export.Dim("batch")
    example = (torch.from_numpy(X[:4]),)
    exported = torch.export.export(model, example, dynamic_shapes={"x": {0: batch}})
    torch.export.save(exported, folder / "exported.pt2")
    case("exported.pt2", "pt2", "sandbox-only")
    with warnings.catch_warnings(), _quiet():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, folder / "credit_mlp.onnx", dynamo=True,
                          dynamic_shapes={"x": {0: batch}}, verbose=False)
    case("credit_mlp.onnx", "onnx", "safe")
    return cases


class _quiet:
    """Silence stdout and stderr at the file-descriptor level (the ONNX exporter logs)."""

    def __enter__(self):
        self.saved = [os.dup(1), os.dup(2)]
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)

    def __exit__(self, *exc):
        for fd, saved in zip((1, 2), self.saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)


# ---------------------------------------------------------------------- malicious


def _touch(canary: Path) -> str:
    return f"open({str(canary)!r}, 'w').close()"


def _stack_global(module: bytes, name: bytes) -> bytes:
    """A protocol-4 pickle calling module.name(*args) via STACK_GLOBAL, args appended later."""
    return (b"\x80\x04\x8c" + bytes([len(module)]) + module + b"\x8c" + bytes([len(name)])
            + name + b"\x93")


def _unicode(text: str) -> bytes:
    data = text.encode()
    return b"X" + len(data).to_bytes(4, "little") + data


def _malicious_pickles(folder: Path, canaries: Path) -> list[Case]:
    import builtins
    import functools
    import runpy
    import subprocess as sp
    import timeit

    cases = []

    def add(name: str, technique: str, data: bytes, loader: str = "pickle") -> None:
        (folder / name).write_bytes(data)
        cases.append(Case(name, folder / name, "joblib" if loader == "joblib" else "pickle",
                          "unsafe", technique=technique, canary=canaries / name,
                          loader=loader))

    def canary(name: str) -> Path:
        return canaries / name

    script = folder / "runpy_payload.py"
    script.write_text(_touch(canary("runpy.pkl")) + "\n")
    getattr_chain = (b"cbuiltins\ngetattr\n(cbuiltins\n__import__\n(Vos\ntRVsystem\ntR(V"
                     + f"touch {canary('getattr_chain.pkl')}".encode() + b"\ntR.")
    add("os_system.pkl", "os.system via __reduce__",
        pickle.dumps(Payload(os.system, f"touch {canary('os_system.pkl')}"), protocol=4))
    add("os_system_p0.pkl", "os.system via protocol-0 GLOBAL",
        b"cos\nsystem\n(S'" + f"touch {canary('os_system_p0.pkl')}".encode() + b"'\ntR.")
    add("subprocess.pkl", "subprocess.call",
        pickle.dumps(Payload(sp.call, ["touch", str(canary("subprocess.pkl"))]), protocol=2))
    add("check_output.pkl", "subprocess.check_output",
        pickle.dumps(Payload(sp.check_output, ["touch", str(canary("check_output.pkl"))]),
                     protocol=5))
    add("eval.pkl", "builtins.eval",
        pickle.dumps(Payload(builtins.eval, _touch(canary("eval.pkl")))))
    add("exec.pkl", "builtins.exec",
        pickle.dumps(Payload(builtins.exec, _touch(canary("exec.pkl")))))
    add("open.pkl", "builtins.open writes a file",
        pickle.dumps(Payload(builtins.open, str(canary("open.pkl")), "w")))
    add("getattr_chain.pkl", "getattr(__import__('os'), 'system') chain", getattr_chain)
    add("importlib.pkl", "importlib.import_module + getattr",
        b"cbuiltins\ngetattr\n(cimportlib\nimport_module\n(Vos\ntRVsystem\ntR(V"
        + f"touch {canary('importlib.pkl')}".encode() + b"\ntR.")
    add("pkgutil.pkl", "pkgutil.resolve_name('os:system')",
        b"cpkgutil\nresolve_name\n(Vos:system\ntR(V"
        + f"touch {canary('pkgutil.pkl')}".encode() + b"\ntR.")
    add("runpy.pkl", "runpy.run_path runs a script",
        pickle.dumps(Payload(runpy.run_path, str(script))))
    inner = pickle.dumps(Payload(os.system, f"touch {canary('nested_pickle.pkl')}"))
    add("nested_pickle.pkl", "nested pickle.loads", pickle.dumps(Payload(pickle.loads, inner)))
    add("timeit.pkl", "timeit.timeit runs code given as text",
        pickle.dumps(Payload(timeit.timeit, _touch(canary("timeit.pkl")), "pass",
                             timeit.default_timer, 1)))
    add("partial.pkl", "functools.partial around os.system",
        pickle.dumps(Payload(functools.partial(os.system,
                                               f"touch {canary('partial.pkl')}"))))
    add("attrgetter.pkl", "operator.attrgetter reaches os.system",
        b"\x80\x02" + b"coperator\nattrgetter\n(Vsystem\ntR(cimportlib\nimport_module\n(Vos\n"
        b"tRtR(V" + f"touch {canary('attrgetter.pkl')}".encode() + b"\ntR.")
    add("runstring.pkl", "numpy.testing's runstring (a prefix rule would allow numpy.*)",
        b"\x80\x02cnumpy.testing._private.utils\nrunstring\n(V"
        + _touch(canary("runstring.pkl")).encode() + b"\n}tR.")
    # Dotted names: find_class walks attributes from an allowlisted module to os.system.
    add("dotted_stack_global.pkl", "dotted STACK_GLOBAL from allowlisted joblib.numpy_pickle",
        _stack_global(b"joblib.numpy_pickle", b"os.system")
        + _unicode(f"touch {canary('dotted_stack_global.pkl')}") + b"\x85R.")
    add("dotted_global.pkl", "dotted GLOBAL (protocol 4) from allowlisted numpy.ma.core",
        b"\x80\x04cnumpy.ma.core\nbuiltins.exec\n"
        + _unicode(_touch(canary("dotted_global.pkl"))) + b"\x85R.")
    # Obfuscation: the module and name reach STACK_GLOBAL from the memo, not as literals.
    add("memo_stack_global.pkl", "STACK_GLOBAL operands fetched from the memo",
        b"\x80\x04" + b"\x8c\x05posix\x94" + b"0" + b"\x8c\x06system\x94" + b"0"
        + b"h\x00h\x01\x93" + _unicode(f"touch {canary('memo_stack_global.pkl')}")
        + b"\x85R.")
    add("memo_text_put.pkl", "STACK_GLOBAL operands from protocol-0 PUT/GET",
        b"\x80\x04" + b"Vos\np7\n0Vsystem\np8\n0" + b"g7\ng8\n\x93"
        + _unicode(f"touch {canary('memo_text_put.pkl')}") + b"\x85R.")
    add("inst.pkl", "INST opcode calls os.system",
        b"(S'" + f"touch {canary('inst.pkl')}".encode() + b"'\nios\nsystem\n.")
    add("framed.pkl", "payload in a later frame, after a 70 KB byte string",
        _framed(Payload(os.system, f"touch {canary('framed.pkl')}")))
    return cases


def _framed(obj) -> bytes:
    """A protocol-5 pickle whose payload sits in a frame after a large byte string."""
    return pickle.dumps([b"x" * 70_000, obj], protocol=5)


def _malicious_joblib(folder: Path, canaries: Path) -> list[Case]:
    cases = []

    def add(name: str, technique: str, obj, compress) -> None:
        joblib.dump(obj, folder / name, compress=compress)
        cases.append(Case(name, folder / name, "joblib", "unsafe", technique=technique,
                          canary=canaries / name, loader="joblib"))

    for compressor in ("zlib", "gzip", "lzma"):
        name = f"payload_{compressor}.joblib"
        add(name, f"payload inside {compressor}-compressed joblib",
            Payload(os.system, f"touch {canaries / name}"), (compressor, 3))
    name = "payload_object_array.joblib"
    add(name, "payload inside a joblib object array (a nested pickle after the wrapper)",
        np.array([Payload(os.system, f"touch {canaries / name}"), 1], dtype=object), 0)
    name = "after_array.joblib"
    # The raw array bytes are all '.', the STOP opcode: a scanner that reads them as opcodes
    # stops there and never sees the payload that follows.
    add(name, "payload after raw joblib array bytes full of STOP opcodes",
        [np.full(4096, ord("."), dtype=np.uint8),
         Payload(os.system, f"touch {canaries / name}")], 0)
    return cases


def _malicious_torch(folder: Path, canaries: Path, benign_pt2: Path) -> list[Case]:
    import torch

    cases = []
    name = "torch_payload.pt"
    torch.save(Payload(os.system, f"touch {canaries / name}"), folder / name)
    cases.append(Case(name, folder / name, "torch", "unsafe", technique="payload in a "
                      "torch.save archive's data.pkl", canary=canaries / name, loader="torch"))
    name = "state_dict_payload.pt"
    torch.save({"weight": torch.ones(2), "extra": Payload(os.system, f"touch {canaries / name}")},
               folder / name)
    cases.append(Case(name, folder / name, "torch", "unsafe", technique="payload next to "
                      "tensors in a state_dict", canary=canaries / name, loader="torch"))
    # torch.export.load unpickles sample inputs with weights_only=True, then falls back to
    # weights_only=False when that fails: a payload there runs.
    name = "sample_inputs_payload.pt2"
    buffer = io.BytesIO()
    torch.save(Payload(os.system, f"touch {canaries / name}"), buffer)
    _replace_members(benign_pt2, folder / name, {"data/sample_inputs/model.pt": buffer.getvalue()})
    cases.append(Case(name, folder / name, "pt2", "unsafe", technique="payload in a .pt2's "
                      "sample inputs (weights_only=False fallback)", canary=canaries / name,
                      loader="pt2"))
    return cases


def _malicious_legacy(folder: Path, canaries: Path) -> list[Case]:
    """Payloads in each part of torch's legacy (non-zip) file and in an .npz archive."""
    import torch

    cases = []

    def add(name: str, technique: str, fmt: str, loader: str) -> Path:
        cases.append(Case(name, folder / name, fmt, "unsafe", technique=technique,
                          canary=canaries / name, loader=loader))
        return folder / name

    path = add("legacy_payload.pt", "payload next to tensors in a legacy torch.save file",
               "torch-legacy", "torch")
    payload = Payload(os.system, f"touch {canaries / path.name}")
    torch.save({"weight": torch.ones(2), "extra": payload}, path,
               _use_new_zipfile_serialization=False)
    honest = io.BytesIO()
    torch.save({"weight": torch.ones(2)}, honest, _use_new_zipfile_serialization=False)
    parts = _pickles(honest.getvalue(), 5)  # magic, protocol, system info, object, storage keys
    for index, part in ((2, "system information"), (4, "storage keys")):
        name = f"legacy_{part.split()[-1]}_payload.pt"
        path = add(name, f"payload in a legacy torch file's {part} pickle", "torch-legacy",
                   "torch")
        payload = pickle.dumps(Payload(os.system, f"touch {canaries / name}"), protocol=2)
        path.write_bytes(b"".join(parts[:index]) + payload + b"".join(parts[index + 1:]))
    path = add("payload.npz", "payload in an object array of an .npz archive", "npz", "numpy")
    np.savez(path, weights=np.ones(3),
             extra=np.array([Payload(os.system, f"touch {canaries / path.name}")], dtype=object))
    return cases


def _pickles(data: bytes, n: int) -> list[bytes]:
    """The first `n` pickles of `data` as byte strings, then the rest (read, never loaded)."""
    stream, parts, start = io.BytesIO(data), [], 0
    for _ in range(n):
        for _ in pickletools.genops(stream):  # stops after STOP
            pass
        parts.append(data[start:stream.tell()])
        start = stream.tell()
    return parts + [data[start:]]


def _replace_members(source: Path, target: Path, replacements: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            inner = info.filename.split("/", 1)[1]
            data = replacements.get(inner, old.read(info))
            new.writestr(info, data)


LIVE = """
import pickle, sys, warnings
warnings.simplefilter("ignore")
kind = sys.argv[1]
for path in sys.argv[2:]:
    try:
        if kind == "pickle":
            with open(path, "rb") as f:
                pickle.load(f)
        elif kind == "joblib":
            import joblib
            joblib.load(path)
        elif kind == "torch":
            import torch
            torch.load(path, weights_only=False)
        elif kind == "pt2":
            import torch
            torch.export.load(path)
        elif kind == "numpy":
            import numpy
            archive = numpy.load(path, allow_pickle=True)
            [archive[key] for key in archive.files]
    except BaseException:
        pass
"""


def prove_live(cases: list[Case], workdir: Path) -> dict[str, bool]:
    """Load each payload with its natural loader in a throwaway process: did its canary
    appear? Deletes the canaries afterwards."""
    by_loader: dict[str, list[Case]] = {}
    for case in cases:
        by_loader.setdefault(case.loader, []).append(case)
    for loader, group in by_loader.items():
        subprocess.run([sys.executable, "-c", LIVE, loader] + [str(c.path) for c in group],
                       cwd=workdir, capture_output=True, timeout=300)
    live = {case.name: case.canary.exists() for case in cases}
    for case in cases:
        case.canary.unlink(missing_ok=True)
    return live


# ---------------------------------------------------------------------- corrupted


def _onnx_with_external(folder: Path, location: str, name: str) -> Path:
    """A one-node ONNX model whose initializer claims external data at `location`."""
    from onnx import TensorProto, helper

    tensor = helper.make_tensor("w", TensorProto.FLOAT, [2], [0.0, 0.0])
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "8")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
                              [tensor])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = folder / name
    path.write_bytes(model.SerializeToString())
    return path


def _bomb(path: Path) -> None:
    """A zlib joblib file: a valid pickle header, then a bytes object that expands to 1 GiB."""
    compressor = zlib.compressobj(9)
    header = b"\x80\x04\x8e" + BOMB_BYTES.to_bytes(8, "little")
    chunks = [compressor.compress(header)]
    zeros = bytes(1 << 24)
    for _ in range(BOMB_BYTES // len(zeros)):
        chunks.append(compressor.compress(zeros))
    chunks.append(compressor.compress(b"."))
    chunks.append(compressor.flush())
    path.write_bytes(b"".join(chunks))


def _corrupted(folder: Path, benign: Corpus) -> list[Case]:
    cases = []

    def add(name: str, data: bytes | None, fmt: str, verdict: str, **extra) -> Path:
        path = folder / name
        if data is not None:
            path.write_bytes(data)
        cases.append(Case(name, path, fmt, verdict, **extra))
        return path

    logreg = benign.case("logreg.pkl").path.read_bytes()
    zlib_joblib = benign.case("forest_zlib.joblib").path.read_bytes()
    state = benign.case("state_dict.pt").path.read_bytes()
    onnx_bytes = benign.case("forest_skl2onnx.onnx").path.read_bytes()
    add("empty.pkl", b"", "", "unreadable")
    add("truncated.pkl", logreg[: len(logreg) // 2], "pickle", "unreadable")
    add("truncated_zlib.joblib", zlib_joblib[: len(zlib_joblib) // 2], "joblib", "unreadable")
    add("truncated.pt", state[: len(state) // 2], "", "unreadable")
    add("random.bin", np.random.default_rng(0).bytes(4096), "", "unreadable")
    add("text.pkl", b"Pipeline(steps=[('standardscaler', StandardScaler())])", "",
        "unreadable")
    add("onnx_named.pkl", onnx_bytes, "onnx", "safe",
        inputs=benign.case("forest_skl2onnx.onnx").inputs,
        expected=benign.case("forest_skl2onnx.onnx").expected)
    add("joblib_named.onnx", zlib_joblib, "joblib", "safe",
        inputs=benign.case("forest_zlib.joblib").inputs,
        expected=benign.case("forest_zlib.joblib").expected)
    bomb = add("bomb.joblib", None, "joblib", "unsafe", max_bytes=100_000_000)
    _bomb(bomb)
    outside = folder / "outside"
    outside.mkdir()
    (outside / "secret.bin").write_bytes(bytes(8))
    models = folder / "onnx_models"
    models.mkdir()
    escape = _onnx_with_external(models, "../outside/secret.bin", "escape.onnx")
    cases.append(Case("escape.onnx", escape, "onnx", "unsafe"))
    absolute = _onnx_with_external(models, str(outside / "secret.bin"), "absolute.onnx")
    cases.append(Case("absolute.onnx", absolute, "onnx", "unsafe"))
    (models / "link.bin").symlink_to(outside / "secret.bin")
    link = _onnx_with_external(models, "link.bin", "symlink.onnx")
    cases.append(Case("symlink.onnx", link, "onnx", "unsafe"))
    missing = _onnx_with_external(models, "missing.bin", "missing_data.onnx")
    cases.append(Case("missing_data.onnx", missing, "onnx", "unreadable"))
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 64]}}).encode()
    add("bad_offsets.safetensors", len(header).to_bytes(8, "little") + header + bytes(16),
        "safetensors", "unreadable")
    no_data = io.BytesIO()
    with zipfile.ZipFile(no_data, "w") as archive:
        archive.writestr("model/version", "3")
    add("zip_without_pickle.pt", no_data.getvalue(), "", "unreadable")
    add("legacy_torch.pt", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.",
        "torch-legacy", "unreadable")
    legacy = benign.case("state_dict_legacy.pt").path.read_bytes()
    add("truncated_legacy.pt", legacy[:-100], "torch-legacy", "unreadable")
    npz = benign.case("arrays.npz").path.read_bytes()
    add("truncated.npz", npz[: len(npz) // 2], "", "unreadable")
    return cases


# ---------------------------------------------------------------------- building


def build(root: Path) -> Corpus:
    root = Path(root).resolve()  # payloads name their canaries by absolute path
    corpus = Corpus(root, root / "canaries")
    for folder in ("benign", "malicious", "corrupted", "canaries", "work"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus.benign = _sklearn_benign(root / "benign") + _torch_benign(root / "benign")
        corpus.malicious = (_malicious_pickles(root / "malicious", corpus.canaries)
                            + _malicious_joblib(root / "malicious", corpus.canaries)
                            + _malicious_torch(root / "malicious", corpus.canaries,
                                               corpus.case("exported.pt2").path)
                            + _malicious_legacy(root / "malicious", corpus.canaries))
        corpus.corrupted = _corrupted(root / "corrupted", corpus)
    corpus.live = prove_live(corpus.malicious, root / "work")
    return corpus


_BUILT: dict[str, Corpus] = {}


def get(tmp_path_factory) -> Corpus:
    """The session's corpus, built on first use."""
    if "corpus" not in _BUILT:
        _BUILT["corpus"] = build(tmp_path_factory.mktemp("corpus"))
    return _BUILT["corpus"]
