"""The names the artifact checker decides with: formats, verdicts, problems, stages, conclusions.

Each is a `StrEnum`, so it compares equal to its value and prints and serializes (JSON, CSV)
as that value: `Verdict.SAFE == "safe"`. Callers branch on these, never on message wording.
This module imports nothing else, so the sandboxed child can use it too.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """What a file holds, judged from its bytes (`autograder.artifacts.formats.detect`)."""

    NONE = ""  # unreadable: see the Problem
    PICKLE = "pickle"
    JOBLIB = "joblib"
    TORCH = "torch"  # torch.save's zip archive
    TORCH_LEGACY = "torch-legacy"  # torch.save(..., _use_new_zipfile_serialization=False)
    TORCHSCRIPT = "torchscript"
    PT2 = "pt2"
    ONNX = "onnx"
    SAFETENSORS = "safetensors"
    SKOPS = "skops"
    NPY = "npy"
    NPZ = "npz"


WEIGHTS_ONLY = frozenset({Format.TORCH, Format.TORCH_LEGACY, Format.SAFETENSORS})
CODE_FORMATS = frozenset({Format.TORCHSCRIPT, Format.PT2})  # loaded only in the sandbox


class Verdict(StrEnum):
    """What static analysis concluded (`autograder.artifacts.analysis.analyze`)."""

    SAFE = "safe"
    SANDBOX = "sandbox-only"
    UNSAFE = "unsafe"
    UNREADABLE = "unreadable"


class Problem(StrEnum):
    """Why a file is unreadable, for callers that word each case their own way."""

    NONE = ""
    MISSING = "missing"
    FOLDER = "folder"
    EMPTY = "empty"
    TEXT = "text"
    TRUNCATED = "truncated"
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"  # a real format the grader does not load
    UNKNOWN = "unknown"


class Stage(StrEnum):
    """How far the sandboxed child got (`autograder.artifacts.reload`)."""

    IMPORT = "import"
    LOAD = "load"
    PREDICT = "predict"
    DONE = "done"
    TIMEOUT = "timeout"  # stopped by the wall clock
    CRASHED = "crashed"  # died without a readable status


class ErrorKind(StrEnum):
    """What kind of failure the child reported, besides its exception's type and message."""

    NONE = ""
    REFUSED = "refused"  # its restricted unpickler met a global outside the allowlist
    MISSING_METHOD = "missing-method"  # the loaded object has no such method
    RAISED = "raised"  # any other exception


class Conclusion(StrEnum):
    """Where `verification.verify_file` stopped: the first step that failed, or IDENTICAL."""

    UNREADABLE = "unreadable"  # analysis: empty, truncated, corrupt, unknown
    REFUSED = "refused"  # analysis: unsafe, never loaded
    UNREBUILDABLE = "unrebuildable"  # weights only, and the model's class cannot be named
    NO_EXPECTED = "no-expected"  # the expected outputs could not be computed or read
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    NOT_LOADED = "not-loaded"  # an import or the loader raised
    MISSING_METHOD = "missing-method"  # loaded, but the object has no such method
    CALL_FAILED = "call-failed"  # loaded, but calling it raised
    NO_OUTPUT = "no-output"  # the requested output does not exist
    SHAPE_DIFFERS = "shape-differs"
    DIFFERENT = "different"
    IDENTICAL = "identical"
