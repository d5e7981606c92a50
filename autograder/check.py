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
   which imports only what the format needs and hands outputs back as .npy. For a pickle,
   joblib, skops or torch file the child is forked from a process that has imported
   scikit-learn (or torch) once and never loaded a file (`autograder.artifacts.forkserver`):
   the same walls, nothing of the notebook's, and a fraction of a fresh child's time per check
   (docs/benchmarks.md, "Checks in one process").
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
student can act on, and whose `isolation` lists the sandbox's walls this machine allowed.
Where the line describes a catalogued mistake (`autograder.course.mistakes`), `mistake` is its
id and the message ends in `(mistake: ID)`, so a test cell's `assert result.ok, result.message`
names it and feedback pages link it to the lesson section that teaches it.

The steps themselves are `autograder.artifacts.verification.verify_file`, shared with the
`autograder verify` command; this module only words their outcome for a student.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.artifacts.allowlist import danger
from autograder.artifacts.analysis import Report
from autograder.artifacts.enums import Conclusion, Format, Problem, Verdict
from autograder.artifacts.formats import looks_like_text
from autograder.artifacts.handoff import plain_array
from autograder.artifacts.sandbox import Layer
from autograder.artifacts.streams import DEFAULT_MAX_BYTES
from autograder.artifacts.verification import (
    Expected,
    Rebuild,
    Verification,
    tie_aware,
    verify_file,
)
from autograder.common import units
from autograder.common.text import error_line
from autograder.course import mistakes

__all__ = ["CheckResult", "check_artifact", "explain_load_error"]

# How loading a file that ends too early fails: the C unpickler says "truncated"; compressed
# streams "ended before"; joblib's pure-Python unpickler runs out of data in the other ways.
TRUNCATION_SIGNS = ("truncated", "ended before", "exhausted before", "EOF: reading",
                    "unpack requires a buffer")


@dataclass(frozen=True, kw_only=True)
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
    format: Format  # detected from the content: pickle, joblib, torch, onnx...
    verdict: Verdict  # safe, sandbox-only, unsafe or unreadable (autograder.artifacts.analysis)
    findings: tuple[str, ...] = ()  # why the static analysis refused it
    n_ties: int = 0  # ONNX labels that differ only at tied probabilities (not counted)
    network_isolated: bool | None = None  # whether the child ran without network (None: no child)
    isolation: tuple[Layer, ...] = ()  # the sandbox's walls around the child on this machine
    mistake: str = ""  # the catalogued mistake the message describes (course.mistakes), or ''

    def __str__(self) -> str:
        return self.message


def explain_load_error(name: str, error_type: str, error: str, head: bytes, size: int) -> str:
    """Turn the child's exception into one line a student can act on."""
    return _load_error(name, error_type, error, head, size)[0]


# Each function below returns (the student's line, the catalogued mistake it describes or '').
Said = tuple[str, str]


def _load_error(name: str, error_type: str, error: str, head: bytes, size: int) -> Said:
    if m := re.search(r"Can't get attribute '([^']+)' on <module '__main__'", error):
        return (f"'{name}' refers to class or function '{m[1]}' defined in the notebook "
                f"(__main__); a fresh Python process cannot find it. Move it into a .py module "
                f"that is installed or importable, or use a built-in scikit-learn component, "
                f"then save again.", "class-in-main")
    if m := re.search(r"Can't get attribute '([^']+)' on <module '([^']+)'", error):
        return (f"'{name}' needs '{m[2]}.{m[1]}', which does not exist in the installed "
                f"'{m[2]}' (renamed, removed, or a different library version).",
                "version-mismatch")
    if m := re.search(r"No module named '([^']+)'", error):
        return (f"'{name}' needs module '{m[1]}', which a fresh Python process cannot import: "
                f"install it or package your code as a module.", "")
    if looks_like_text(head):
        return text_message(name, head), "saved-as-text"
    if (error_type == "EOFError" or any(sign in error for sign in TRUNCATION_SIGNS)
            or (error_type == "IndexError" and error == "index out of range")):
        return truncated_message(name, size), "truncated-file"
    if error_type == "Refused":
        return f"'{name}' was refused while loading: {error}.", ""
    return f"'{name}' could not be loaded in a fresh process: {error_type}: {error}", ""


def text_message(name: str, head: bytes) -> str:
    start = head[:30].decode("utf-8", "replace")
    return (f"'{name}' holds text, not a pickle (it starts with {start!r}). Save the "
            f"object itself with pickle.dump(obj, f) into a file opened with 'wb'.")


def truncated_message(name: str, size: int) -> str:
    return (f"'{name}' is truncated ({size:,} bytes): it ends before the end of the pickle. "
            f"Was the file closed before you checked it? Save inside `with open(path, 'wb')`.")


def _unreadable(path: Path, report: Report) -> Said:
    name, kind = path.name, report.problem_kind
    if kind == Problem.MISSING:
        return missing_file_message(path), "wrong-path"
    if kind == Problem.FOLDER:
        return f"'{path}' is a folder, not a file: pass the path of the saved model.", ""
    if kind == Problem.EMPTY:
        return (f"'{name}' is empty (0 bytes): nothing reached the disk. Either the save "
                f"failed (a file opened with 'w' instead of 'wb' raises TypeError) or the "
                f"file is still open: save inside `with open(path, 'wb') as f:`.", "text-mode")
    if kind == Problem.TEXT:
        return text_message(name, _head(path)), "saved-as-text"
    if kind == Problem.TRUNCATED and report.format in (Format.PICKLE, Format.JOBLIB,
                                                       Format.NONE):
        return truncated_message(name, report.size_bytes), "truncated-file"
    return f"'{name}' cannot be loaded: {report.problem}", ""


def _refusal(name: str, report: Report) -> Said:
    for module, qualname in report.imports:
        if module == "__main__":
            return (f"'{name}' refers to class or function '{qualname}' defined in the notebook "
                    f"(__main__); a fresh Python process cannot find it. Build the step from "
                    f"scikit-learn components, or move it into a .py module the grader "
                    f"trusts, then save again. (Found by reading the file; nothing was run.)",
                    "class-in-main")
    return (f"'{name}' was refused before loading ({report.reason()}); nothing in it was run.",
            _refused_mistake(report))


def _refused_mistake(report: Report) -> str:
    """A refused file's mistake: code that would run when loaded, a whole pickled torch
    module, or merely a global outside the allowlist."""
    if any(danger(module, name) for module, name in report.imports):
        return "payload"
    if any("whole pickled nn.Module" in finding for finding in report.findings):
        return "weights-only-refusal"
    return "refused-global"


def missing_file_message(path: Path) -> str:
    folder = path.parent if path.parent.is_dir() else Path.cwd()
    guess = difflib.get_close_matches(path.name, [p.name for p in folder.iterdir()], n=1)
    hint = f" Did you mean '{folder / guess[0]}'?" if guess else ""
    return (f"No file at '{path}' (the notebook runs in '{Path.cwd()}').{hint} "
            f"Check the folder and file name you saved to.")


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(64)


def _torch_module(model) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _as_numpy(X):
    if hasattr(X, "detach"):  # a torch tensor
        return X.detach().cpu().numpy()
    return X


def live_outputs(model, X, method: str, fmt: str) -> Expected:
    """The in-memory model's outputs (and its probabilities, for ONNX labels), with library
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
            return Expected(outputs=plain_array(out.detach().cpu().numpy()))
        expected = plain_array(getattr(model, method)(X))
        proba = None
        if tie_aware(fmt, method) and callable(getattr(model, "predict_proba", None)):
            proba = plain_array(model.predict_proba(X))
        return Expected(outputs=expected, proba=proba)


def _rebuild(model) -> Rebuild:
    """How a fresh process rebuilds a torch model from weights: its class and hparams."""
    cls = type(model)
    if cls.__module__ == "__main__":
        return Rebuild(problem=f"holds weights only, and the live model's class "
                               f"'{cls.__name__}' is defined in the notebook (__main__), so a "
                               f"fresh process cannot rebuild it: use "
                               f"autograder.course.models.CreditMLP or a class from a module")
    return Rebuild(model_class=f"{cls.__module__}:{cls.__qualname__}",
                   model_kwargs=dict(getattr(model, "hparams", {}) or {}))


def check_artifact(path, model, X, *, method: str = "predict", timeout: float = 120.0,
                   rtol: float | None = None, atol: float | None = None, output=None,
                   trusted=(), max_bytes: int = DEFAULT_MAX_BYTES) -> CheckResult:
    """Analyse `path`, reload it in a sandboxed fresh process, call it on X there, and compare
    with `model` here (see the module docstring). Never raises for a bad file."""
    path = Path(path)
    verification = verify_file(
        path, _as_numpy(X), lambda report: live_outputs(model, X, method, report.format),
        method=method, output=output, rtol=rtol, atol=atol, timeout=timeout, trusted=trusted,
        max_bytes=max_bytes, rebuild=_rebuild(model) if _torch_module(model) else Rebuild())
    return _result(path, verification, n_rows=len(X), method=method, output=output,
                   timeout=timeout)


def _result(path: Path, v: Verification, *, n_rows: int, method: str, output,
            timeout: float) -> CheckResult:
    """The student's one-line message and the figures behind it."""
    report, reloaded, comparison = v.report, v.reloaded, v.comparison
    message, mistake = _message(path, v, n_rows=n_rows, method=method, output=output,
                                timeout=timeout)
    return CheckResult(
        path=str(path), ok=v.loaded and v.identical, loaded=v.loaded, identical=v.identical,
        n_rows=n_rows, n_differ=comparison.n_differ if comparison else 0,
        max_abs_diff=comparison.max_abs_diff if comparison else float("nan"),
        load_seconds=reloaded.load_seconds if v.loaded else 0.0, size_bytes=report.size_bytes,
        message=mistakes.tag(mistake, message) if mistake else message, mistake=mistake,
        format=report.format, verdict=report.verdict,
        findings=report.findings, n_ties=comparison.n_ties if comparison else 0,
        network_isolated=reloaded.network_isolated if reloaded else None,
        isolation=tuple(v.layers))


# The student's line for each conclusion that needs no more than filling in (see _message).
MESSAGES = {
    Conclusion.UNREBUILDABLE: "'{name}' {v.problem}.",
    Conclusion.NO_EXPECTED: "Your in-memory model's {method}() failed: {error}",
    Conclusion.TIMEOUT: "Loading '{name}' and predicting took longer than {timeout:g} s in a "
                        "fresh process, so it was stopped.",
    Conclusion.CRASHED: "The fresh process loading '{name}' died (exit code {r.returncode}) "
                        "before reporting a result.",
    Conclusion.MISSING_METHOD: "'{name}' holds a {loaded_as}, which has no {method}() method: "
                               "save the fitted model itself.",
    Conclusion.CALL_FAILED: "'{name}' loaded, but {method}() failed in a fresh process: "
                            "{r.error_type}: {r.error}",
    Conclusion.NO_OUTPUT: "'{name}' reloaded, but it has no output {output!r} (it has "
                          "{outputs}).",
    Conclusion.SHAPE_DIFFERS: "'{name}' reloaded, but its {method}() output has shape "
                              "{v.got.shape}; the live model gives {v.expected.outputs.shape}.",
}


# The catalogued mistake behind each of those conclusions, where there is one.
MISTAKES = {
    Conclusion.UNREBUILDABLE: "class-in-main",
    Conclusion.TIMEOUT: "timeout",
    Conclusion.MISSING_METHOD: "not-the-model",
}


def _message(path: Path, v: Verification, *, n_rows: int, method: str, output,
             timeout: float) -> Said:
    report, reloaded, comparison = v.report, v.reloaded, v.comparison
    name, size = path.name, report.size_bytes
    if v.conclusion == Conclusion.UNREADABLE:
        return _unreadable(path, report)
    if v.conclusion == Conclusion.REFUSED:
        return _refusal(name, report)
    if v.conclusion == Conclusion.NOT_LOADED:
        return _load_error(name, reloaded.error_type, reloaded.error, _head(path), size)
    if v.conclusion in MESSAGES:
        return MESSAGES[v.conclusion].format(
            name=name, method=method, timeout=timeout, output=output, v=v, r=reloaded,
            error=error_line(v.error) if v.error else "",
            loaded_as=reloaded and (reloaded.loaded_type.rsplit(".", 1)[-1] or "object"),
            outputs=reloaded and list(reloaded.output_names)), MISTAKES.get(v.conclusion, "")
    how = "" if comparison.policy == "exact" else f" ({comparison.describe()})"
    if v.conclusion == Conclusion.DIFFERENT:
        diff = "" if np.isnan(comparison.max_abs_diff) else \
            f", max abs difference {comparison.max_abs_diff:.3g}"
        return (f"'{name}' reloaded, but disagrees with the live model on "
                f"{comparison.n_differ:,} of {n_rows:,} rows{diff}{how}: did you save a "
                f"different model?", "different-model")
    sandboxed = " TorchScript/torch.export code ran only in the sandbox." \
        if report.verdict == Verdict.SANDBOX else ""
    return (f"'{name}' reloads in a fresh process and predicts identically on {n_rows:,} "
            f"rows{how} (load {reloaded.load_seconds:.2f} s, {units.size(size)}).{sandboxed}",
            "")
