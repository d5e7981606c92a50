"""Load an analysed artifact in the sandboxed child and read its outputs back as arrays.

`reload` is the one bridge between the grader and `autograder.artifacts.child`: it refuses to
start the child unless the static analysis allowed the file (`Report.loadable`), hands the
inputs over as .npy files, runs the child under `autograder.artifacts.sandbox`, and reads back
`status.json` and the `out_<i>.npy` files with `allow_pickle=False`. What the child wrote is
untrusted data: a missing, oversized or malformed status is reported as a crash, never parsed
blindly.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.artifacts.analysis import Report
from autograder.artifacts.sandbox import Layer, SandboxLimits, run
from autograder.artifacts.enums import ErrorKind, Format, Stage
from autograder.common.text import last_line

CHILD = "import autograder.artifacts.child; autograder.artifacts.child.main()"
# Loaded with the libraries a warm child has imported already (artifacts.forkserver):
# scikit-learn, or torch. onnxruntime starts a thread when imported, so a fork of it is not
# safe; it imports in a fifth of a second anyway.
WARM_FORMATS = frozenset({Format.PICKLE, Format.JOBLIB, Format.SKOPS, Format.TORCH,
                          Format.TORCH_LEGACY, Format.TORCHSCRIPT, Format.PT2,
                          Format.SAFETENSORS})
MAX_STATUS = 1 << 20


@dataclass(frozen=True, kw_only=True)
class Reloaded:
    """What the child reported: how far it got, and its outputs when it got to the end."""

    stage: Stage
    outputs: tuple = ()
    output_names: tuple[str, ...] = ()
    load_seconds: float = 0.0
    loaded_type: str = ""
    error_kind: ErrorKind = ErrorKind.NONE
    error_type: str = ""
    error: str = ""
    layers: tuple[Layer, ...] = ()  # the sandbox's walls (autograder.artifacts.sandbox)
    seconds: float = 0.0
    returncode: int | None = None

    @property
    def ok(self) -> bool:
        return self.stage == Stage.DONE

    @property
    def loaded(self) -> bool:
        """The file loaded (the failure, if any, came later)."""
        return self.stage in (Stage.PREDICT, Stage.DONE)

    @property
    def network_isolated(self) -> bool:
        return Layer.NETWORK in self.layers


def child_command(report: Report, inputs: Path, out: Path, *, method: str, trusted=(),
                  model_class: str = "", model_kwargs: dict | None = None) -> list[str]:
    command = [sys.executable, "-I", "-B", "-c", CHILD, str(Path(report.path).resolve()),
               "--format", report.loader, "--inputs", str(Path(inputs).resolve()),
               "--method", method, "--out", str(out),
               "--trusted", json.dumps([list(pair) for pair in trusted])]
    if report.format == Format.SKOPS:  # skops loads only the types it is told to trust
        types = sorted({f"{module}.{name}" for module, name in report.imports})
        command += ["--trusted-types", json.dumps(types)]
    if model_class:
        command += ["--model-class", model_class, "--model-kwargs",
                    json.dumps(model_kwargs or {})]
    return command


def _warm_modules(fmt: str) -> tuple[str, ...] | None:
    """What a warm child of this format needs imported (None: a fresh child instead)."""
    from autograder.artifacts.child import PREIMPORT

    return tuple(PREIMPORT.get(fmt, ())) if fmt in WARM_FORMATS else None


def _read_status(folder: Path) -> dict | None:
    path = folder / "status.json"
    if not path.is_file() or path.stat().st_size > MAX_STATUS:
        return None
    try:
        status = json.loads(path.read_text())
    except ValueError:
        return None
    if not (isinstance(status, dict) and status.get("stage") in set(Stage)
            and status.get("error_kind", "") in set(ErrorKind)):
        return None
    return status


def reload(report: Report, inputs: Path, *, method: str = "predict",
           limits: SandboxLimits | None = None, trusted=(), model_class: str = "",
           model_kwargs: dict | None = None, while_waiting=None, warm: bool = True) -> Reloaded:
    """Load `report.path` in the sandbox, call it on `inputs` (a save_inputs folder or a .npy
    file) and return its outputs. Refuses (ValueError) a report that is not loadable."""
    if not report.loadable:
        raise ValueError(f"refusing to load {report.path}: {report.reason()}")
    with tempfile.TemporaryDirectory(prefix="autograder-sandbox-") as tmp:
        work = Path(tmp)
        command = child_command(report, inputs, work, method=method, trusted=trusted,
                                model_class=model_class, model_kwargs=model_kwargs)
        ran = run(command, work, limits or SandboxLimits(), while_waiting=while_waiting,
                  warm=_warm_modules(report.format) if warm else None)
        common = dict(layers=ran.layers, seconds=ran.seconds, returncode=ran.returncode)
        if ran.timed_out:
            return Reloaded(stage=Stage.TIMEOUT, **common)
        status = _read_status(work)
        if status is None:
            return Reloaded(stage=Stage.CRASHED, error=last_line(ran.stderr_tail), **common)
        fields = dict(load_seconds=float(status.get("load_seconds", 0.0) or 0.0),
                      loaded_type=str(status.get("type", "")),
                      error_kind=ErrorKind(status.get("error_kind", "")),
                      error_type=str(status.get("error_type", "")),
                      error=str(status.get("error", "")), **common)
        if status["stage"] != Stage.DONE:
            return Reloaded(stage=Stage(status["stage"]), **fields)
        import numpy as np

        names = [str(n) for n in status.get("outputs", [])]
        try:
            outputs = tuple(np.load(work / f"out_{i}.npy", allow_pickle=False)
                            for i in range(len(names)))
        except (OSError, ValueError) as exc:
            return Reloaded(stage=Stage.CRASHED, **{**fields, "error": f"unreadable outputs: "
                                                                      f"{exc}"})
        return Reloaded(stage=Stage.DONE, outputs=outputs, output_names=tuple(names), **fields)


def select_output(reloaded: Reloaded, fmt: str, method: str, output):
    """The artifact's output to compare: ONNX models have several (label, probabilities)."""
    names, outputs = list(reloaded.output_names), list(reloaded.outputs)
    if isinstance(output, int):
        return outputs[output] if -len(outputs) <= output < len(outputs) else None
    if isinstance(output, str):
        return outputs[names.index(output)] if output in names else None
    if fmt == Format.ONNX and method == "predict_proba" and len(outputs) > 1:
        probable = [i for i, n in enumerate(names) if "prob" in n.lower()]
        return outputs[probable[0] if probable else 1]
    return outputs[0] if outputs else None
