"""Does a saved model reload in a fresh, sandboxed process and predict what the live model does?

`check_artifact` is what lesson test cells call, for every format the course teaches:

    check_artifact(path, model, X, *, method="predict", timeout=120.0,
                   rtol=None, atol=None, output=None, trusted=(), max_bytes=2 GiB)
        -> CheckResult

1. **Read, not run.** The file is analysed statically (`autograder.artifacts.analysis`): its
   format comes from its bytes, and a pickle, joblib, torch or skops file may only import exact
   allowlisted `(module, name)` pairs. A student's file is untrusted, so anything else (a
   class defined in the notebook, `os.system`, a nested pickle...) is refused before any
   process loads it, with the reason in one line.
2. **Reload in a sandbox.** The file is loaded in a fresh `python -I` child with a temporary
   folder, a scrubbed environment, resource limits and no network (`autograder.artifacts.sandbox`),
   which imports only what the format needs and hands outputs back as .npy.
3. **Compare** with `model` called here on the same `X`, under the format's policy
   (`autograder.artifacts.compare`): exact for pickle, joblib, skops, safetensors, torch,
   TorchScript and `.pt2`; for ONNX, floats within `rtol`/`atol` and labels tie-aware.

What `model` and `X` are:
- a scikit-learn model (or anything with `method`): `X` is an array or a DataFrame; an ONNX
  artifact's first output is compared with `predict`, and the output named like
  "probabilities" (or the second) with `predict_proba`; pass `output=` (index or name) to
  choose another;
- a `torch.nn.Module`: `X` is a float tensor or array, and the artifact's output on it is
  compared with `model(X)` (eval mode, no grad). A `state_dict` or safetensors file holds
  weights only: the child rebuilds `type(model)(**model.hparams)`, so the class must live in
  an importable module such as `autograder.course.models.CreditMLP`, not in the notebook.

`trusted` adds exact `(module, name)` pairs you vouch for (e.g. your own importable class).

It never writes to stderr (any stderr output zeroes an nbgrader grade cell) and never raises
for a student mistake: it returns a frozen `CheckResult` whose `message` is one line the
student can act on.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.artifacts import compare as verify
from autograder.artifacts.analysis import SANDBOX, UNREADABLE, UNSAFE, Report, analyze
from autograder.artifacts.formats import looks_like_text
from autograder.artifacts.handoff import plain_array, save_inputs
from autograder.artifacts.reload import Reloaded, reload, select_output
from autograder.artifacts.sandbox import Limits
from autograder.artifacts.streams import DEFAULT_MAX_BYTES

__all__ = ["CheckResult", "check_artifact", "explain_load_error", "human_size"]

# How loading a file that ends too early fails: the C unpickler says "truncated"; compressed
# streams "ended before"; joblib's pure-Python unpickler runs out of data in the other ways.
TRUNCATION_SIGNS = ("truncated", "ended before", "exhausted before", "EOF: reading",
                    "unpack requires a buffer")
WEIGHTS_ONLY = ("torch", "safetensors")


def human_size(n: int) -> str:
    if n < 1000:
        return f"{n:,} bytes"
    return f"{n / 1e3:.1f} KB" if n < 1e6 else f"{n / 1e6:.1f} MB"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one fresh-process check. `ok` means loaded and identical."""

    path: str
    ok: bool
    loaded: bool
    identical: bool
    n_rows: int
    n_differ: int
    max_abs_diff: float
    load_seconds: float
    size_bytes: int
    message: str
    format: str = ""  # detected from the content: pickle, joblib, torch, onnx...
    verdict: str = ""  # safe, sandbox-only, unsafe or unreadable (autograder.artifacts.analysis)
    findings: tuple[str, ...] = ()  # why the static analysis refused it
    n_ties: int = 0  # ONNX labels that differ only at tied probabilities (not counted)
    network_isolated: bool | None = None  # whether the child ran without network

    def __str__(self) -> str:
        return self.message


def explain_load_error(name: str, error_type: str, error: str, head: bytes, size: int) -> str:
    """Turn the child's exception into one line a student can act on."""
    if m := re.search(r"Can't get attribute '([^']+)' on <module '__main__'", error):
        return (f"'{name}' refers to class or function '{m[1]}' defined in the notebook "
                f"(__main__); a fresh Python process cannot find it. Move it into a .py module "
                f"that is installed or importable, or use a built-in scikit-learn component, "
                f"then save again.")
    if m := re.search(r"Can't get attribute '([^']+)' on <module '([^']+)'", error):
        return (f"'{name}' needs '{m[2]}.{m[1]}', which does not exist in the installed "
                f"'{m[2]}' (renamed, removed, or a different library version).")
    if m := re.search(r"No module named '([^']+)'", error):
        return (f"'{name}' needs module '{m[1]}', which a fresh Python process cannot import: "
                f"install it or package your code as a module.")
    if looks_like_text(head):
        start = head[:30].decode("utf-8", "replace")
        return (f"'{name}' holds text, not a pickle (it starts with {start!r}). Save the "
                f"object itself with pickle.dump(obj, f) into a file opened with 'wb'.")
    if (error_type == "EOFError" or any(sign in error for sign in TRUNCATION_SIGNS)
            or (error_type == "IndexError" and error == "index out of range")):
        return truncated_message(name, size)
    if error_type == "Refused":
        return f"'{name}' was refused while loading: {error}."
    return f"'{name}' could not be loaded in a fresh process: {error_type}: {error}"


def truncated_message(name: str, size: int) -> str:
    return (f"'{name}' is truncated ({size:,} bytes): it ends before the end of the pickle. "
            f"Was the file closed before you checked it? Save inside `with open(path, 'wb')`.")


def unreadable_message(name: str, report: Report, head: bytes, size: int) -> str:
    if report.detail == "text":
        start = head[:30].decode("utf-8", "replace")
        return (f"'{name}' holds text, not a pickle (it starts with {start!r}). Save the "
                f"object itself with pickle.dump(obj, f) into a file opened with 'wb'.")
    if "truncated" in report.problem and report.format in ("pickle", "joblib", ""):
        return truncated_message(name, size)
    return f"'{name}' cannot be loaded: {report.problem}"


def refusal_message(name: str, report: Report) -> str:
    for module, qualname in report.imports:
        if module == "__main__":
            return (f"'{name}' refers to class or function '{qualname}' defined in the notebook "
                    f"(__main__); a fresh Python process cannot find it. Build the step from "
                    f"scikit-learn components, or move it into a .py module the grader "
                    f"trusts, then save again. (Found by reading the file; nothing was run.)")
    return f"'{name}' was refused before loading ({report.reason()}); nothing in it was run."


def missing_file_message(path: Path) -> str:
    folder = path.parent if path.parent.is_dir() else Path.cwd()
    guess = difflib.get_close_matches(path.name, [p.name for p in folder.iterdir()], n=1)
    hint = f" Did you mean '{folder / guess[0]}'?" if guess else ""
    return (f"No file at '{path}' (the notebook runs in '{Path.cwd()}').{hint} "
            f"Check the folder and file name you saved to.")


def _torch_module(model) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _as_numpy(X):
    if hasattr(X, "detach"):  # a torch tensor
        return X.detach().cpu().numpy()
    return X


def live_outputs(model, X, method: str, fmt: str):
    """(expected, reference probabilities or None) from the in-memory model, with library
    warnings and prints kept off stderr."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        if _torch_module(model):
            import torch

            was_training = model.training
            model.eval()
            try:
                with torch.inference_mode():
                    out = model(torch.as_tensor(np.ascontiguousarray(_as_numpy(X))))
            finally:
                model.train(was_training)
            out = out[0] if isinstance(out, tuple | list) else out
            return plain_array(out.detach().cpu().numpy()), None
        expected = plain_array(getattr(model, method)(X))
        proba = None
        if fmt == "onnx" and method == "predict" and callable(getattr(model, "predict_proba",
                                                                      None)):
            proba = plain_array(model.predict_proba(X))
        return expected, proba


def _model_class(model) -> tuple[str, dict, str]:
    """(module:Class, constructor kwargs, problem) to rebuild a torch model from weights."""
    cls = type(model)
    if cls.__module__ == "__main__":
        return "", {}, (f"holds weights only, and the live model's class '{cls.__name__}' "
                        f"is defined in the notebook (__main__), so a fresh process cannot "
                        f"rebuild it: use autograder.course.models.CreditMLP or a class from "
                        f"a module")
    return f"{cls.__module__}:{cls.__qualname__}", dict(getattr(model, "hparams", {}) or {}), ""


def check_artifact(path, model, X, *, method: str = "predict", timeout: float = 120.0,
                   rtol: float | None = None, atol: float | None = None, output=None,
                   trusted=(), max_bytes: int = DEFAULT_MAX_BYTES) -> CheckResult:
    """Analyse `path`, reload it in a sandboxed fresh process, call it on X there, and compare
    with `model` here (see the module docstring). Never raises for a bad file."""
    path = Path(path)
    name = path.name
    n_rows = len(X)
    state: dict = {"format": "", "verdict": "", "findings": (), "network_isolated": None}

    def result(message: str, *, loaded: bool = False, size: int = 0, load_seconds: float = 0.0,
               n_differ: int = 0, max_abs: float = float("nan"), identical: bool = False,
               n_ties: int = 0):
        return CheckResult(str(path), loaded and identical, loaded, identical, n_rows, n_differ,
                           max_abs, load_seconds, size, message, state["format"],
                           state["verdict"], state["findings"], n_ties,
                           state["network_isolated"])

    if not path.exists():
        return result(missing_file_message(path))
    if not path.is_file():
        return result(f"'{path}' is a folder, not a file: pass the path of the saved model.")
    size = path.stat().st_size
    if size == 0:
        return result(f"'{name}' is empty (0 bytes): nothing reached the disk. Either the save "
                      f"failed (a file opened with 'w' instead of 'wb' raises TypeError) or the "
                      f"file is still open: save inside `with open(path, 'wb') as f:`.")
    with open(path, "rb") as f:
        head = f.read(64)

    report = analyze(path, max_bytes=max_bytes, trusted=trusted)
    state.update(format=report.format, verdict=report.verdict, findings=report.findings)
    if report.verdict == UNREADABLE:
        return result(unreadable_message(name, report, head, size), size=size)
    if report.verdict == UNSAFE:
        return result(refusal_message(name, report), size=size)

    try:
        expected, proba = live_outputs(model, X, method, report.format)
    except Exception as exc:  # one line, as the child reports its errors
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return result(f"Your in-memory model's {method}() failed: {type(exc).__name__}: "
                      f"{first_line}", size=size)

    model_class, model_kwargs = "", {}
    if report.format in WEIGHTS_ONLY and _torch_module(model):
        model_class, model_kwargs, problem = _model_class(model)
        if problem:
            return result(f"'{name}' {problem}.", size=size)
    with tempfile.TemporaryDirectory(prefix="autograder-inputs-") as tmp:
        inputs = Path(tmp) / "inputs"
        save_inputs(_as_numpy(X), inputs)
        limits = Limits(wall_seconds=timeout, cpu_seconds=int(timeout) + 5)
        reloaded = reload(report, inputs, method=method, limits=limits, trusted=trusted,
                          model_class=model_class, model_kwargs=model_kwargs)
    state["network_isolated"] = reloaded.network_isolated
    return _judge(reloaded, report, name, size, head, method, expected, proba, result,
                  rtol=rtol, atol=atol, output=output, timeout=timeout, n_rows=n_rows)


def _judge(reloaded: Reloaded, report: Report, name, size, head, method, expected, proba,
           result, *, rtol, atol, output, timeout, n_rows) -> CheckResult:
    stage, load_seconds = reloaded.stage, reloaded.load_seconds
    if stage == "timeout":
        return result(f"Loading '{name}' and predicting took longer than {timeout:g} s in a "
                      f"fresh process, so it was stopped.", size=size)
    if stage == "crashed":
        return result(f"The fresh process loading '{name}' died (exit code "
                      f"{reloaded.returncode}) before reporting a result.", size=size)
    if stage in ("import", "load"):
        return result(explain_load_error(name, reloaded.error_type, reloaded.error, head, size),
                      size=size)
    loaded = dict(loaded=True, size=size, load_seconds=load_seconds)
    if stage == "predict":
        loaded_as = reloaded.loaded_type.rsplit(".", 1)[-1] or "object"
        if reloaded.error_type == "MissingMethod":
            return result(f"'{name}' holds a {loaded_as}, which has no {method}() method: save "
                          f"the fitted model itself.", **loaded)
        return result(f"'{name}' loaded, but {method}() failed in a fresh process: "
                      f"{reloaded.error_type}: {reloaded.error}", **loaded)

    got = select_output(reloaded, report.format, method, output)
    if got is None:
        return result(f"'{name}' reloaded, but it has no output {output!r} (it has "
                      f"{list(reloaded.output_names)}).", **loaded)
    own = None
    if report.format == "onnx" and method == "predict" and len(reloaded.outputs) > 1:
        own = select_output(reloaded, "onnx", "predict_proba", None)
    comparison = verify.compare(report.format, expected, got, proba=proba, own_proba=own,
                                rtol=rtol, atol=atol)
    if comparison.problem:
        return result(f"'{name}' reloaded, but its {method}() output has shape {got.shape}; "
                      f"the live model gives {expected.shape}.", **loaded)
    common = dict(loaded, n_differ=comparison.n_differ, max_abs=comparison.max_abs_diff,
                  n_ties=comparison.n_ties)
    how = "" if comparison.policy == "exact" else f" ({comparison.describe()})"
    if not comparison.identical:
        diff = "" if np.isnan(comparison.max_abs_diff) else \
            f", max abs difference {comparison.max_abs_diff:.3g}"
        return result(f"'{name}' reloaded, but disagrees with the live model on "
                      f"{comparison.n_differ:,} of {n_rows:,} rows{diff}{how}: did you save a "
                      f"different model?", **common)
    sandboxed = " TorchScript/torch.export code ran only in the sandbox." \
        if report.verdict == SANDBOX else ""
    return result(f"'{name}' reloads in a fresh process and predicts identically on {n_rows:,} "
                  f"rows{how} (load {load_seconds:.2f} s, {human_size(size)}).{sandboxed}",
                  identical=True, **common)
