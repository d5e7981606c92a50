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
`identical`, `n_rows`, `n_differ`, `max_abs_diff` and `load_seconds`. Every failure is one
line; there is never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from autograder.cli import UsageError
from autograder.cli.inspect import add_file_arguments, emit, headline, report_fields

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
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _load_expected(args, holder: dict) -> None:
    """Runs while the sandboxed child starts: numpy's import overlaps with the child's."""
    import numpy as np

    try:
        holder["expected"] = np.load(args.expected, allow_pickle=False)
        if args.expected_proba is not None:
            holder["proba"] = np.load(args.expected_proba, allow_pickle=False)
    except (OSError, ValueError) as exc:
        holder["error"] = f"cannot read the expected outputs: {exc}"


def verify(args) -> tuple[int, dict, list[str]]:
    # numpy (0.1 s) is imported while the child starts: see _load_expected.
    from autograder.artifacts.analysis import analyze
    from autograder.artifacts.reload import reload, select_output
    from autograder.artifacts.sandbox import Limits

    report = analyze(args.path, max_bytes=args.max_bytes, trusted=args.trust)
    fields = {**report_fields(report), "identical": False, "n_rows": 0, "n_differ": None,
              "n_ties": 0, "max_abs_diff": None, "load_seconds": 0.0, "policy": "",
              "network_isolated": None}
    name = Path(report.path).name
    if not report.loadable:
        code = report.exit_code
        return code, {**fields, "message": headline(report)}, [headline(report)]
    if args.inputs is None and args.method != "value":
        raise UsageError("--inputs is required unless --method value")
    inputs = args.inputs if args.inputs is not None else args.expected
    try:
        kwargs = json.loads(args.model_kwargs)
    except ValueError as exc:
        raise UsageError(f"--model-kwargs is not JSON: {exc}") from exc
    holder: dict = {}
    limits = Limits(wall_seconds=args.timeout, cpu_seconds=int(args.timeout) + 5)
    reloaded = reload(report, inputs, method=args.method, limits=limits, trusted=args.trust,
                      model_class=args.model_class, model_kwargs=kwargs,
                      while_waiting=lambda: _load_expected(args, holder))
    fields.update(load_seconds=reloaded.load_seconds, network_isolated=reloaded.network_isolated,
                  seconds=reloaded.seconds)

    def done(code: int, message: str):
        return code, {**fields, "message": message}, [message]

    if "error" in holder:
        raise UsageError(holder["error"])
    if reloaded.stage == "timeout":
        return done(2, f"{name}: loading and predicting took longer than {args.timeout:g} s")
    if reloaded.stage == "crashed":
        return done(2, f"{name}: the sandboxed process died (exit code {reloaded.returncode})"
                       f" before reporting a result")
    if reloaded.stage in ("import", "load"):
        return done(2, f"{name}: cannot be loaded: {reloaded.error_type}: {reloaded.error}")
    if reloaded.stage == "predict":
        what = "has no " + args.method + "()" if reloaded.error_type == "MissingMethod" \
            else f"{args.method}() failed: {reloaded.error_type}: {reloaded.error}"
        return done(1, f"{name}: loaded a {reloaded.loaded_type}, which {what}")
    got = select_output(reloaded, report.format, args.method, args.output)
    if got is None:
        return done(1, f"{name}: no output {args.output!r} (outputs: "
                       f"{list(reloaded.output_names)})")
    from autograder.artifacts import compare as policy

    own = None
    if report.format == "onnx" and args.method == "predict" and len(reloaded.outputs) > 1:
        own = select_output(reloaded, "onnx", "predict_proba", None)  # for tie-aware labels
    comparison = policy.compare(report.format, holder["expected"], got,
                                proba=holder.get("proba"), own_proba=own, rtol=args.rtol,
                                atol=args.atol)
    fields.update(identical=comparison.identical, n_rows=comparison.n_rows,
                  n_differ=comparison.n_differ, n_ties=comparison.n_ties,
                  max_abs_diff=_finite(comparison.max_abs_diff), policy=comparison.policy)
    if comparison.problem:
        return done(1, f"{name}: {comparison.problem}")
    if not comparison.identical:
        return done(1, f"{name}: differs on {comparison.n_differ:,} of {comparison.n_rows:,} "
                       f"rows (max abs difference {comparison.max_abs_diff:.3g}; "
                       f"{comparison.describe()})")
    return done(0, f"{name}: {report.format}: identical on {comparison.n_rows:,} rows "
                   f"({comparison.describe()}; load {reloaded.load_seconds:.2f} s, "
                   f"{reloaded.seconds:.2f} s in the sandbox)")


def run(args) -> int:
    code, fields, lines = verify(args)
    return emit(args, code, fields, lines)
