"""The sandboxed child: load one artifact, call it on the inputs, write the outputs as .npy.

Run by `autograder.artifacts.reload` as `python -I -c "...child.main()" ...` inside
`autograder.artifacts.sandbox` (an empty temporary folder, scrubbed environment, resource
limits, no network, as far as the OS allows), so nothing from the notebook (its `__main__`,
its working directory, its imports) is there.

- It imports only what the artifact's format needs: an ONNX check imports numpy and
  onnxruntime, never torch, scikit-learn or pandas.
- It never unpickles anything the parent sent (inputs are .npy files read with
  `allow_pickle=False`) and never pickles anything back: outputs are `out_<i>.npy` plus
  `status.json`.
- Every outcome, including a failure, is reported in `status.json` (its stage and error kind
  are `autograder.artifacts.enums` values); nothing is printed.
- Pickle, joblib and object arrays in .npy and .npz files are loaded with an unpickler that
  accepts only the allowlisted globals (`autograder.artifacts.allowlist`) plus the pairs the
  parent trusted: a second wall behind the static analysis. torch files (zip and legacy) use
  `weights_only=True`, skops its `trusted` list, and an audit hook refuses process spawning,
  sockets and writes outside the working folder once the libraries are imported.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
import zipfile
from pathlib import Path

import numpy as np

from autograder.artifacts.handoff import load_columns, plain_array
from autograder.artifacts.enums import ErrorKind, Format, Stage
from autograder.common.text import first_line

BLOCKED_EVENTS = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                  "os.forkpty", "os.kill", "os.killpg", "subprocess.Popen", "pty.spawn",
                  "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                  "webbrowser.open", "ctypes.dlopen"}
PATH_EVENTS = {"os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate",
               "os.chmod", "os.symlink", "os.link"}  # allowed inside the working folder only
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class Refused(Exception):
    """The loader met a global outside the allowlist."""


class MissingMethod(AttributeError):
    """The loaded object has no such method (the student saved something else)."""


ERROR_KINDS = {Refused: ErrorKind.REFUSED, MissingMethod: ErrorKind.MISSING_METHOD}


def install_audit_hook(workdir: Path) -> None:
    """Refuse process spawning, sockets and file writes outside the working folder."""
    workdir = str(workdir.resolve())

    def inside(path) -> bool:
        if not isinstance(path, str | bytes | os.PathLike):
            return False  # a file descriptor: only reached through an earlier, checked open
        target = os.path.realpath(os.fsdecode(path))
        return target == os.devnull or target.startswith(workdir + os.sep)

    def hook(event: str, args) -> None:
        if event in BLOCKED_EVENTS:
            raise PermissionError(f"sandbox: {event} is not allowed while loading a model")
        if event in PATH_EVENTS and args and not inside(args[0]):
            raise PermissionError(f"sandbox: {event} outside the working folder")
        if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
            mode, flags = args[1] if len(args) > 1 else "r", args[2] if len(args) > 2 else 0
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & WRITE_FLAGS)
            if writes and not inside(args[0]):
                raise PermissionError(f"sandbox: writing {args[0]!r} is not allowed")

    sys.addaudithook(hook)


def allowed_globals(trusted: list) -> frozenset:
    from autograder.artifacts.allowlist import PICKLE_GLOBALS

    return PICKLE_GLOBALS | frozenset((m, n) for m, n in trusted)


def _check_global(allowed: frozenset, module: str, name: str) -> None:
    from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

    mapped = NAME_MAPPING.get((module, name), (IMPORT_MAPPING.get(module, module), name))
    if "." in name or not ({(module, name), mapped} & allowed):
        raise Refused(f"global '{module}.{name}' is not on the allowlist")


def restricted_pickle_load(f, allowed: frozenset):
    import pickle

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            _check_global(allowed, module, name)
            return super().find_class(module, name)

        def persistent_load(self, pid):
            raise Refused("persistent ids are not allowed")

    return Unpickler(f).load()


def load_pickle(path: Path, args):
    with open(path, "rb") as f:
        return restricted_pickle_load(f, allowed_globals(args.trusted))


def load_joblib(path: Path, args):
    import pickle

    import joblib
    from joblib.numpy_pickle import NumpyUnpickler

    allowed = allowed_globals(args.trusted)

    def find_class(self, module, name):  # joblib's nested object-array unpickler shares it
        _check_global(allowed, module, name)
        return pickle._Unpickler.find_class(self, module, name)

    NumpyUnpickler.find_class = find_class
    return joblib.load(path)


def read_npy(f, allowed: frozenset) -> np.ndarray:
    """One .npy stream: an object array through the restricted unpickler, as numpy.load with
    allow_pickle=True would unpickle it, any other array without pickle."""
    from autograder.artifacts.analysis import npy_header

    _shape, dtype = npy_header(f)
    if dtype.hasobject:
        return restricted_pickle_load(f, allowed)
    f.seek(0)
    return np.lib.format.read_array(f, allow_pickle=False)


def load_npy(path: Path, args):
    with open(path, "rb") as f:
        return read_npy(f, allowed_globals(args.trusted))


class Arrays(dict):
    """The arrays of an .npz archive by name, as numpy.load gives them: each is an output."""


def load_npz(path: Path, args):
    allowed = allowed_globals(args.trusted)
    arrays = Arrays()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                arrays[name.removesuffix(".npy")] = read_npy(member, allowed)
    return arrays


def build_module(args):
    """Rebuild the module a weights-only file needs, from the class the parent named."""
    if not args.model_class:
        raise LookupError("this file holds weights only; name the model class to rebuild it "
                          "(--model-class module:Class)")
    module_name, _, qualname = args.model_class.partition(":")
    cls = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return cls(**json.loads(args.model_kwargs or "{}"))


def _state_dict(loaded):
    for key in ("state_dict", "model_state_dict"):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            return loaded[key]
    return loaded


def load_torch(path: Path, args):
    import torch

    loaded = torch.load(path, map_location="cpu", weights_only=True)
    if args.method == "value":
        return loaded
    module = build_module(args)
    module.load_state_dict(_state_dict(loaded))
    return module.eval()


def load_safetensors(path: Path, args):
    from safetensors.torch import load_file

    tensors = load_file(path, device="cpu")
    if args.method == "value":
        return tensors
    module = build_module(args)
    module.load_state_dict(tensors)
    return module.eval()


def load_torchscript(path: Path, args):
    import torch

    return torch.jit.load(path, map_location="cpu").eval()


def load_pt2(path: Path, args):
    import torch

    return torch.export.load(path).module()


def load_skops(path: Path, args):
    import skops.io

    return skops.io.load(path, trusted=args.trusted_types)


class OnnxSession:
    """An onnxruntime session called like a model: every output, in order."""

    TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64,
             "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(string)": np.str_,
             "tensor(bool)": np.bool_}

    def __init__(self, path: Path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        self.output_names = [o.name for o in self.session.get_outputs()]

    def cast(self, node, values: np.ndarray) -> np.ndarray:
        dtype = self.TYPES.get(node.type)
        if dtype is np.str_:
            return values.astype(object)
        return values.astype(dtype) if dtype is not None else values

    def run(self, names, columns):
        inputs = self.session.get_inputs()
        if len(inputs) == 1:
            data = columns[0] if names is None else np.column_stack(columns)
            feed = {inputs[0].name: self.cast(inputs[0], data)}
        else:  # one input per column, matched by name (skl2onnx with a DataFrame)
            by_name = dict(zip(names or [], columns, strict=False))
            missing = [node.name for node in inputs if node.name not in by_name]
            if missing:
                raise KeyError(f"the model expects inputs {missing} that X does not have")
            feed = {node.name: self.cast(node, by_name[node.name].reshape(-1, 1))
                    for node in inputs}
        return [_zipmap_to_array(value) for value in self.session.run(None, feed)]


def load_onnx(path: Path, args):
    return OnnxSession(path)


def _zipmap_to_array(value):
    """skl2onnx's default ZipMap output is a list of {class: probability} dicts."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return np.array([list(row.values()) for row in value])
    return value


PREIMPORT = {Format.JOBLIB: ["joblib"], Format.SKOPS: ["skops.io"], Format.ONNX: ["onnxruntime"],
             Format.TORCH: ["torch"], Format.TORCH_LEGACY: ["torch"],
             Format.TORCHSCRIPT: ["torch"], Format.PT2: ["torch"],
             Format.SAFETENSORS: ["torch", "safetensors.torch"]}
LOADERS = {Format.PICKLE: load_pickle, Format.JOBLIB: load_joblib, Format.NPY: load_npy,
           Format.NPZ: load_npz, Format.TORCH: load_torch, Format.TORCH_LEGACY: load_torch,
           Format.SAFETENSORS: load_safetensors, Format.TORCHSCRIPT: load_torchscript,
           Format.PT2: load_pt2, Format.SKOPS: load_skops, Format.ONNX: load_onnx}


def read_inputs(path: Path):
    """(column names or None, arrays): a save_inputs folder or a single .npy file."""
    if path.is_dir():
        return load_columns(path)
    return None, [np.load(path, allow_pickle=False)]


def call(obj, method: str, names, columns) -> list:
    """The outputs of calling the loaded object on the inputs, as arrays."""
    if isinstance(obj, OnnxSession):
        return obj.run(names, columns)
    if method == "value":
        return [_as_array(value) for value in (obj.values() if isinstance(obj, Arrays)
                                               else [obj])]
    if "torch" in sys.modules and isinstance(obj, sys.modules["torch"].nn.Module):
        import torch

        tensor = torch.from_numpy(np.ascontiguousarray(columns[0] if names is None
                                                       else np.column_stack(columns)))
        with torch.inference_mode():
            out = obj(tensor)
        return [_as_array(o) for o in (out if isinstance(out, tuple | list) else [out])]
    if not callable(getattr(obj, method, None)):
        raise MissingMethod(f"{type(obj).__qualname__} has no {method}() method")
    X = columns[0] if names is None else _frame(names, columns)
    return [_as_array(getattr(obj, method)(X))]


def _frame(names, columns):
    import pandas as pd

    return pd.DataFrame(dict(zip(names, columns, strict=True)), columns=names)


def _as_array(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return plain_array(value)


def error_fields(exc: BaseException) -> dict:
    return {
        "error_kind": ERROR_KINDS.get(type(exc), ErrorKind.RAISED),
        "error_type": type(exc).__name__,
        "error": first_line(exc, 1000),
        "where": traceback.extract_tb(exc.__traceback__)[-1].name if exc.__traceback__ else "",
    }


def run(artifact: Path, args, out: Path) -> dict:
    """Load, call, write outputs into folder `out`; return the status (never raises)."""
    import warnings

    status: dict = {"stage": Stage.IMPORT}
    warnings.simplefilter("ignore")  # library warnings are not the student's error here
    try:
        names, columns = (None, []) if args.method == "value" else read_inputs(args.inputs)
        for module in PREIMPORT.get(args.format, ()):  # libraries load native code: before
            importlib.import_module(module)            # the audit hook forbids dlopen
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
        if args.audit:
            install_audit_hook(out)
        status["stage"] = Stage.LOAD
        start = time.perf_counter()
        obj = LOADERS[args.format](artifact, args)
        status["load_seconds"] = time.perf_counter() - start
        status["type"] = f"{type(obj).__module__}.{type(obj).__qualname__}"
        status["stage"] = Stage.PREDICT
        start = time.perf_counter()
        outputs = call(obj, args.method, names, columns)
        status["predict_seconds"] = time.perf_counter() - start
        status["outputs"] = list(obj) if isinstance(obj, Arrays) else \
            getattr(obj, "output_names", [f"output{i}" for i in range(len(outputs))])
        for i, array in enumerate(outputs):
            np.save(out / f"out_{i}.npy", array, allow_pickle=False)
        status["stage"] = Stage.DONE
    except Exception as exc:  # every failure becomes a reported status, never a crash
        status.update(error_fields(exc))
    return status


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--format", type=Format, choices=list(LOADERS), required=True)
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--method", default="predict")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--trusted", type=json.loads, default=[])
    parser.add_argument("--trusted-types", type=json.loads, default=[])
    parser.add_argument("--model-class", default="")
    parser.add_argument("--model-kwargs", default="")
    parser.add_argument("--no-audit", dest="audit", action="store_false")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    status = run(args.artifact, args, args.out)
    (args.out / "status.json").write_text(json.dumps(status))


if __name__ == "__main__":
    main()
