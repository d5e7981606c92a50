"""The one verification flow: does a saved file reload in the sandbox and reproduce an output?

`verify_file` runs every step, in order, and stops at the first that fails:

1. **analyze** the file without running it (`autograder.artifacts.analysis`);
2. **gate**: an unreadable or unsafe file is never loaded;
3. **limits**: the sandbox's limits for the caller's timeout (`SandboxLimits.for_timeout`);
4. **reload** it in the sandboxed child (`autograder.artifacts.reload`), computing the expected
   outputs in this process meanwhile;
5. **stage ladder**: how far the child got (timeout, crash, import or load error, a missing
   method or a failing call) becomes the `Conclusion`;
6. **ONNX's own probabilities**: a classifier's labels are compared tie-aware, so its
   probability output is picked as well;
7. **compare** under the format's policy (`autograder.artifacts.compare`).

The result is a `Verification` that says where the flow stopped (`conclusion`) and keeps what
each step found. It holds no wording: `autograder.check.check_artifact` (lesson test cells) and
`autograder verify` (the command line) each turn it into their own messages.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.artifacts.analysis import Report, analyze
from autograder.artifacts.reload import Reloaded, reload, select_output
from autograder.artifacts.sandbox import Layer, SandboxLimits
from autograder.artifacts.streams import DEFAULT_MAX_BYTES
from autograder.artifacts.enums import (
    WEIGHTS_ONLY,
    Conclusion,
    ErrorKind,
    Format,
    Stage,
    Verdict,
)

if TYPE_CHECKING:  # numpy is imported only once the child runs (see autograder.cli.verify)
    from autograder.artifacts.compare import Comparison


def tie_aware(fmt: Format, method: str) -> bool:
    """ONNX classifiers' labels are compared tie-aware, which needs the probabilities behind
    them: the reference's (`Expected.proba`) and the artifact's own second output."""
    return fmt == Format.ONNX and method == "predict"


STAGE_LADDER = {Stage.TIMEOUT: Conclusion.TIMEOUT, Stage.CRASHED: Conclusion.CRASHED,
                Stage.IMPORT: Conclusion.NOT_LOADED, Stage.LOAD: Conclusion.NOT_LOADED}


@dataclass(frozen=True, kw_only=True)
class Expected:
    """What the reloaded file must reproduce."""

    outputs: object  # an array
    proba: object = None  # the reference's class probabilities, for tie-aware ONNX labels


@dataclass(frozen=True, kw_only=True)
class Rebuild:
    """How the child rebuilds a module from a weights-only file: `module:Class` and its
    constructor arguments, or (`problem`) why the class cannot be named."""

    model_class: str = ""
    model_kwargs: dict = field(default_factory=dict)
    problem: str = ""


@dataclass(frozen=True, kw_only=True)
class Verification:
    """What each step of `verify_file` found, up to `conclusion`."""

    conclusion: Conclusion
    report: Report
    limits: SandboxLimits
    reloaded: Reloaded | None = None
    expected: Expected | None = None
    got: object = None  # the artifact's output that was compared
    comparison: Comparison | None = None
    error: BaseException | None = None  # why the expected outputs could not be computed
    problem: str = ""  # why the model cannot be rebuilt (UNREBUILDABLE)

    @property
    def loaded(self) -> bool:
        return self.reloaded is not None and self.reloaded.loaded

    @property
    def identical(self) -> bool:
        return self.conclusion == Conclusion.IDENTICAL

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The sandbox's walls around the child (none when no child ran)."""
        return self.reloaded.layers if self.reloaded is not None else ()


def verify_file(path, inputs, expected: Callable[[Report], Expected], *,
                method: str = "predict", output=None, rtol: float | None = None,
                atol: float | None = None, timeout: float = 120.0, trusted=(),
                max_bytes: int = DEFAULT_MAX_BYTES, rebuild: Rebuild = Rebuild(),
                warm: bool = True) -> Verification:
    """Run the flow of the module docstring on the file at `path`. Never raises for a bad file.
    `warm=False` always starts a fresh child (`artifacts.forkserver` pays off only for a
    process that checks more than one file).

    `inputs` is a .npy file or a `save_inputs` folder (a Path), or the array or DataFrame
    itself, written to a temporary folder once the file is found loadable. `expected(report)`
    runs while the sandboxed child starts; what it raises ends the flow as NO_EXPECTED.
    """
    report = analyze(path, max_bytes=max_bytes, trusted=trusted)
    limits = SandboxLimits.for_timeout(timeout)

    def done(conclusion: Conclusion, **found) -> Verification:
        return Verification(conclusion=conclusion, report=report, limits=limits, **found)

    if report.verdict == Verdict.UNREADABLE:
        return done(Conclusion.UNREADABLE)
    if report.verdict == Verdict.UNSAFE:
        return done(Conclusion.REFUSED)
    if rebuild.problem and report.format in WEIGHTS_ONLY and method != "value":
        return done(Conclusion.UNREBUILDABLE, problem=rebuild.problem)
    reference: dict = {}

    def compute_expected() -> None:  # in this process, while the child starts
        try:
            reference["expected"] = expected(report)
        except Exception as exc:  # the caller words it: a live model's error, a bad file
            reference["error"] = exc

    with tempfile.TemporaryDirectory(prefix="autograder-inputs-") as tmp:
        if not isinstance(inputs, Path):
            from autograder.artifacts.handoff import save_inputs

            save_inputs(inputs, Path(tmp) / "inputs")
            inputs = Path(tmp) / "inputs"
        reloaded = reload(report, inputs, method=method, limits=limits, trusted=trusted,
                          model_class=rebuild.model_class, model_kwargs=rebuild.model_kwargs,
                          while_waiting=compute_expected, warm=warm)
    want = reference.get("expected")
    if want is None:  # nothing to compare with: what the child did is beside the point
        return done(Conclusion.NO_EXPECTED, error=reference["error"])
    found = dict(reloaded=reloaded, expected=want)
    if reloaded.stage in STAGE_LADDER:
        return done(STAGE_LADDER[reloaded.stage], **found)
    if reloaded.stage == Stage.PREDICT:
        missing = reloaded.error_kind == ErrorKind.MISSING_METHOD
        return done(Conclusion.MISSING_METHOD if missing else Conclusion.CALL_FAILED, **found)
    got = select_output(reloaded, report.format, method, output)
    if got is None:
        return done(Conclusion.NO_OUTPUT, **found)
    from autograder.artifacts.compare import compare

    own = None
    if tie_aware(report.format, method) and len(reloaded.outputs) > 1:
        own = select_output(reloaded, report.format, "predict_proba", None)
    comparison = compare(report.format, want.outputs, got, proba=want.proba, own_proba=own,
                         rtol=rtol, atol=atol)
    conclusion = Conclusion.SHAPE_DIFFERS if comparison.problem else \
        Conclusion.IDENTICAL if comparison.identical else Conclusion.DIFFERENT
    return done(conclusion, got=got, comparison=comparison, **found)
