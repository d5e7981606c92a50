"""Reload a saved model in a sandboxed fresh process and compare its predictions.

    autograder verify PATH --inputs X.npy --expected Y.npy
        [--method predict|predict_proba|value] [--rtol R --atol A] [--output NAME|INDEX]
        [--expected-proba P.npy] [--model-class MODULE:CLASS [--model-kwargs JSON]]
        [--timeout S] [--max-bytes N] [--trust MODULE:NAME ...] [--json]

It analyses the file as `inspect` does, loads it only in the sandboxed child, calls it on X
and compares the result with Y under the format's policy (`autograder.artifacts.compare`).
It exits 0 when identical under that policy, 1 when different or refused as unsafe, 2 when
the file cannot be loaded. `--inputs` is a .npy file (no pickles) or a folder written by
`autograder.artifacts.handoff.save_inputs` (a DataFrame, column by column). For ONNX it
compares the first output (the label, for classifiers), or the probabilities with
`--method predict_proba`, or `--output`. A state_dict or safetensors file holds weights only:
`--model-class autograder.course.models:CreditMLP` names the class that rebuilds the model.
`--method value` compares the loaded object itself (an array) with Y; X is then optional.

`--json` prints one JSON object with at least `path`, `format`, `verdict` and `findings`, and
`identical`, `n_rows`, `n_differ`, `max_abs_diff`, `load_seconds` and `isolation` (the
sandbox's walls this machine allowed). Every failure is one line; there is never a traceback.

The steps are `autograder.artifacts.verification.verify_file`, shared with `check_artifact`;
this module only words their outcome for a terminal.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autograder.artifacts.enums import Conclusion
from autograder.cli import UsageError
from autograder.cli.inspect import add_file_arguments, emit, headline, report_fields
from autograder.common import units

HELP = "reload a saved model in a sandboxed fresh process and compare its predictions"


def _output(text: str):
    return int(text) if text.lstrip("-").isdigit() else text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file_arguments(parser)
    parser.add_argument("--inputs", type=Path)
    parser.add_argument("--expected", type=Path, required=True)
    parser.add_argument("--method", default="predict",
                        choices=["predict", "predict_proba", "decision_function", "transform",
                                 "value"])
    parser.add_argument("--rtol", type=float)
    parser.add_argument("--atol", type=float)
    parser.add_argument("--output", type=_output, help="ONNX output name or index")
    parser.add_argument("--expected-proba", type=Path,
                        help="reference probabilities, for tie-aware ONNX labels")
    parser.add_argument("--model-class", default="", metavar="MODULE:CLASS")
    parser.add_argument("--model-kwargs", default="{}", metavar="JSON")
    parser.add_argument("--timeout", type=float, default=120.0)


def _finite(value: float):
    return None if units.missing(value) else value


def _expected(args):
    """Reads the expected outputs while the sandboxed child starts: numpy's own import (0.1 s)
    overlaps with the child's."""
    def read(report):
        import numpy as np

        from autograder.artifacts.verification import Expected

        proba = None if args.expected_proba is None else \
            np.load(args.expected_proba, allow_pickle=False)
        return Expected(outputs=np.load(args.expected, allow_pickle=False), proba=proba)
    return read


def run(args) -> int:
    from autograder.artifacts.verification import Rebuild, verify_file

    if args.inputs is None and args.method != "value":
        raise UsageError("--inputs is required unless --method value")
    try:
        kwargs = json.loads(args.model_kwargs)
    except ValueError as exc:
        raise UsageError(f"--model-kwargs is not JSON: {exc}") from exc
    v = verify_file(args.path, args.inputs if args.inputs is not None else args.expected,
                    _expected(args), method=args.method, output=args.output, rtol=args.rtol,
                    atol=args.atol, timeout=args.timeout, trusted=args.trust,
                    max_bytes=args.max_bytes,
                    rebuild=Rebuild(model_class=args.model_class, model_kwargs=kwargs),
                    warm=False)  # one file per command: a warm server would only add its start
    report, reloaded, comparison = v.report, v.reloaded, v.comparison
    fields = {**report_fields(report), "identical": False, "n_rows": 0, "n_differ": None,
              "n_ties": 0, "max_abs_diff": None, "load_seconds": 0.0, "policy": "",
              "network_isolated": None, "isolation": []}
    if reloaded is not None:
        fields.update(load_seconds=reloaded.load_seconds,
                      network_isolated=reloaded.network_isolated,
                      isolation=list(reloaded.layers), seconds=reloaded.seconds)
    if comparison is not None:
        fields.update(identical=comparison.identical, n_rows=comparison.n_rows,
                      n_differ=comparison.n_differ, n_ties=comparison.n_ties,
                      max_abs_diff=_finite(comparison.max_abs_diff), policy=comparison.policy)
    if v.conclusion == Conclusion.NO_EXPECTED:
        raise UsageError(f"cannot read the expected outputs: {v.error}")
    code, message = _outcome(v, Path(report.path).name, args)
    return emit(args, code, {**fields, "message": message}, [message])


# (exit code, line) for each conclusion that needs no more than filling in (see _outcome).
OUTCOMES = {
    Conclusion.UNREBUILDABLE: (2, "{name}: {v.problem}"),
    Conclusion.TIMEOUT: (2, "{name}: loading and predicting took longer than {args.timeout:g} s"),
    Conclusion.CRASHED: (2, "{name}: the sandboxed process died (exit code {r.returncode}) "
                            "before reporting a result"),
    Conclusion.NOT_LOADED: (2, "{name}: cannot be loaded: {r.error_type}: {r.error}"),
    Conclusion.MISSING_METHOD: (1, "{name}: loaded a {r.loaded_type}, which has no "
                                   "{args.method}()"),
    Conclusion.CALL_FAILED: (1, "{name}: loaded a {r.loaded_type}, which {args.method}() "
                                "failed: {r.error_type}: {r.error}"),
    Conclusion.NO_OUTPUT: (1, "{name}: no output {args.output!r} (outputs: {outputs})"),
    Conclusion.SHAPE_DIFFERS: (1, "{name}: {c.problem}"),
    Conclusion.DIFFERENT: (1, "{name}: differs on {c.n_differ:,} of {c.n_rows:,} rows (max "
                              "abs difference {c.max_abs_diff:.3g}; {policy})"),
    Conclusion.IDENTICAL: (0, "{name}: {v.report.format}: identical on {c.n_rows:,} rows "
                              "({policy}; load {r.load_seconds:.2f} s, {r.seconds:.2f} s in the "
                              "sandbox)"),
}


def _outcome(v, name: str, args) -> tuple[int, str]:
    """(exit code, one line) for where the verification stopped (a Conclusion)."""
    if v.conclusion not in OUTCOMES:  # unreadable or refused: as `inspect` says it
        return v.report.exit_code, headline(v.report)
    code, line = OUTCOMES[v.conclusion]
    c, r = v.comparison, v.reloaded
    return code, line.format(name=name, args=args, v=v, r=r, c=c,
                             outputs=r and list(r.output_names),
                             policy=c and c.describe())

