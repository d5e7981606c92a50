"""Does a saved model reload in a fresh Python process and predict what the live model predicts?

`check_artifact` is what lesson test cells call. It never writes to stderr (any stderr output
zeroes an nbgrader grade cell) and never raises for a student mistake: it returns a
`CheckResult` whose `message` is one line the student can act on.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import mmap
import re
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.tables import plain_array, save_inputs

# joblib's compressors announce themselves in the first bytes; a plain pickle starts with PROTO.
COMPRESSED_MAGIC = {
    b"\x78": "zlib",
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\x5d\x00\x00": "lzma",
    b"\xfd7zXZ": "xz",
    b"\x04\x22\x4d\x18": "lz4",
}


# joblib.dump(..., compress=0) writes each array's raw bytes right after this class name inside
# the pickle stream: only joblib.load can read that, whatever the file is called.
JOBLIB_ARRAY = b"NumpyArrayWrapper"

# Printable files that are protocol-0 pickles open with MARK, GLOBAL, a quoted STRING, an INT...
# "SVC()" or "IsolationForest()" (str of a model) open with the same letters but are text.
PROTOCOL_0_START = re.compile(rb"[(c\]}l]|S['\"]|I-?[0-9]|N\.")

# How loading a file that ends too early fails: the C unpickler says "truncated"; compressed
# streams "ended before"; joblib's pure-Python unpickler runs out of data in the other ways.
TRUNCATION_SIGNS = ("truncated", "ended before", "exhausted before", "EOF: reading",
                    "unpack requires a buffer")

CHILD = "import autograder.child; autograder.child.main()"


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

    def __str__(self) -> str:
        return self.message


def choose_loader(path: Path, head: bytes) -> str:
    """joblib for compressed streams, .joblib files and joblib's uncompressed format;
    plain pickle.load otherwise."""
    if path.suffix == ".joblib" or any(head.startswith(m) for m in COMPRESSED_MAGIC):
        return "joblib"
    if path.is_file() and path.stat().st_size:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(JOBLIB_ARRAY) >= 0:
                return "joblib"
    return "pickle"


def looks_like_text(head: bytes) -> bool:
    """Printable ASCII that is not a protocol-0 pickle (those start with an opcode: '(', 'c'...)."""
    printable = all(32 <= b < 127 or b in b"\t\n\r" for b in head)
    return printable and not PROTOCOL_0_START.match(head)


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
        return (f"'{name}' is truncated ({size:,} bytes): it ends before the end of the pickle. "
                f"Was the file closed before you checked it? Save inside `with open(path, 'wb')`.")
    return f"'{name}' could not be loaded in a fresh process: {error_type}: {error}"


def missing_file_message(path: Path) -> str:
    folder = path.parent if path.parent.is_dir() else Path.cwd()
    guess = difflib.get_close_matches(path.name, [p.name for p in folder.iterdir()], n=1)
    hint = f" Did you mean '{folder / guess[0]}'?" if guess else ""
    return (f"No file at '{path}' (the notebook runs in '{Path.cwd()}').{hint} "
            f"Check the folder and file name you saved to.")


def live_predictions(model, X, method: str) -> np.ndarray:
    """The in-memory model's output, with library warnings and prints kept off stderr."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        return plain_array(getattr(model, method)(X))


def compare(expected: np.ndarray, got: np.ndarray) -> tuple[int, float]:
    """Rows that differ, and the largest absolute difference (nan for non-numeric outputs)."""
    differs = expected != got
    if np.issubdtype(expected.dtype, np.floating):
        differs &= ~(np.isnan(expected) & np.isnan(got))
    n_differ = int(differs.reshape(len(expected), -1).any(axis=1).sum()) if len(expected) else 0
    if np.issubdtype(expected.dtype, np.number) and np.issubdtype(got.dtype, np.number):
        diff = np.abs(expected.astype(float) - got.astype(float))
        diff[~differs] = 0.0  # nan only where one side is nan and the other is not
        max_abs = float(np.max(diff)) if diff.size else 0.0
    else:
        max_abs = float("nan")
    return n_differ, max_abs


def run_child(path: Path, loader: str, X, method: str, timeout: float) -> tuple[dict, object]:
    """Load and predict in a fresh interpreter (-I: no PYTHONPATH, no notebook folder on sys.path).

    Started with -c rather than -m so that `__main__` is an empty module, as in any new process,
    and a notebook's class cannot be found there by accident.
    """
    with tempfile.TemporaryDirectory(prefix="autograder-") as tmp:
        work = Path(tmp)
        save_inputs(X, work / "inputs")
        status_file, out = work / "status.json", work / "predictions.npy"
        command = [sys.executable, "-I", "-c", CHILD, str(path.resolve()),
                   "--loader", loader, "--inputs", str(work / "inputs"), "--method", method,
                   "--out", str(out), "--status", str(status_file)]
        try:
            proc = subprocess.run(command, cwd=work, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"stage": "timeout"}, None
        if not status_file.exists():
            return {"stage": "crashed", "returncode": proc.returncode}, None
        status = json.loads(status_file.read_text())
        got = np.load(out, allow_pickle=False) if out.exists() else None
        return status, got


def check_artifact(path, model, X, *, method: str = "predict",
                   timeout: float = 120.0) -> CheckResult:
    """Load `path` in a fresh process, call `method` on X there, compare with `model` here.

    Identical means exactly equal outputs (pickle and joblib restore the same numbers).
    """
    path = Path(path)
    name = path.name
    n_rows = len(X)

    def result(message: str, *, loaded: bool = False, size: int = 0, load_seconds: float = 0.0,
               n_differ: int = 0, max_abs: float = float("nan"), identical: bool = False):
        return CheckResult(str(path), loaded and identical, loaded, identical, n_rows, n_differ,
                           max_abs, load_seconds, size, message)

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

    try:
        expected = live_predictions(model, X, method)
    except Exception as exc:  # one line, as the child reports its errors
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return result(f"Your in-memory model's {method}() failed: {type(exc).__name__}: "
                      f"{first_line}", size=size)

    status, got = run_child(path, choose_loader(path, head), X, method, timeout)
    stage = status["stage"]
    load_seconds = float(status.get("load_seconds", 0.0))
    if stage == "timeout":
        return result(f"Loading '{name}' and predicting took longer than {timeout:g} s in a "
                      f"fresh process, so it was stopped.", size=size)
    if stage == "crashed":
        return result(f"The fresh process loading '{name}' died (exit code "
                      f"{status['returncode']}) before reporting a result.", size=size)
    if stage == "load":
        return result(explain_load_error(name, status.get("error_type", ""),
                                         status.get("error", ""), head, size), size=size)
    if stage == "predict":
        loaded_as = status.get("type", "object").rsplit(".", 1)[-1]
        if status.get("error_type") == "MissingMethod":
            return result(f"'{name}' holds a {loaded_as}, which has no {method}() method: save "
                          f"the fitted model itself.", loaded=True, size=size,
                          load_seconds=load_seconds)
        return result(f"'{name}' loaded, but {method}() failed in a fresh process: "
                      f"{status['error_type']}: {status['error']}", loaded=True, size=size,
                      load_seconds=load_seconds)

    if got.shape != expected.shape:
        return result(f"'{name}' reloaded, but its {method}() output has shape {got.shape}; "
                      f"the live model gives {expected.shape}.", loaded=True, size=size,
                      load_seconds=load_seconds)
    n_differ, max_abs = compare(expected, got)
    common = dict(loaded=True, size=size, load_seconds=load_seconds, n_differ=n_differ,
                  max_abs=max_abs)
    if n_differ:
        diff = "" if np.isnan(max_abs) else f", max abs difference {max_abs:.3g}"
        return result(f"'{name}' reloaded, but disagrees with the live model on {n_differ:,} of "
                      f"{n_rows:,} rows{diff}: did you save a different model?", **common)
    return result(f"'{name}' reloads in a fresh process and predicts identically on {n_rows:,} "
                  f"rows (load {load_seconds:.2f} s, {human_size(size)}).", identical=True,
                  **common)
