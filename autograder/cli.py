"""`python -m autograder inspect|verify`: the artifact checker for scripts and instructors.

    python -m autograder inspect PATH [--json] [--max-bytes N] [--trust MODULE:NAME ...]
    python -m autograder verify PATH --inputs X.npy --expected Y.npy
        [--method predict|predict_proba|value] [--rtol R --atol A] [--output NAME|INDEX]
        [--expected-proba P.npy] [--model-class MODULE:CLASS [--model-kwargs JSON]]
        [--timeout S] [--max-bytes N] [--trust MODULE:NAME ...] [--json]

`inspect` never executes the file; it prints the format, the verdict and the findings, and
exits 0 when nothing unsafe was found (verdict safe or sandbox-only), 1 when the file is
unsafe and refused, 2 when it is unreadable, corrupt or of an unknown format.

`verify` analyses the file the same way, loads it only in the sandboxed child, calls it on X
and compares the result with Y under the format's policy (`autograder.verify`). It exits 0
when identical under that policy, 1 when different or refused as unsafe, 2 when the file
cannot be loaded. `--inputs` is a .npy file (no pickles) or a folder written by
`autograder.tables.save_inputs` (a DataFrame, column by column). For ONNX it compares the
first output (the label, for classifiers), or the probabilities with
`--method predict_proba`, or `--output`. A state_dict or safetensors file holds weights only:
`--model-class autograder.models:CreditMLP` names the class that rebuilds the model.
`--method value` compares the loaded object itself (an array) with Y; X is then optional.

`--json` prints one JSON object with at least `path`, `format`, `verdict` and `findings`, and
for verify `identical`, `n_rows`, `n_differ`, `max_abs_diff` and `load_seconds`. Every failure
is one line; there is never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from pathlib import Path

from autograder.safety import SANDBOX, UNREADABLE, UNSAFE, Report, analyze
from autograder.streams import DEFAULT_MAX_BYTES

EXTERNAL_COMMANDS = {"grade": "autograder.grading.cli"}  # other issues' subcommands


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of argparse's usage block
        raise UsageError(message)


def _pair(text: str) -> tuple[str, str]:
    module, sep, name = text.partition(":")
    if not (sep and module and name):
        raise argparse.ArgumentTypeError(f"expected MODULE:NAME, got {text!r}")
    return module, name


def _output(text: str):
    return int(text) if text.lstrip("-").isdigit() else text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument("path", type=Path)
    common.add_argument("--json", action="store_true", help="print one JSON object")
    common.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help="analysis budget in (decompressed) bytes")
    common.add_argument("--trust", type=_pair, action="append", default=[],
                        metavar="MODULE:NAME", help="also accept this exact global")
    commands.add_parser("inspect", parents=[common], help="analyse a file without running it")
    verify = commands.add_parser("verify", parents=[common],
                                 help="load in the sandbox, predict, compare")
    verify.add_argument("--inputs", type=Path)
    verify.add_argument("--expected", type=Path, required=True)
    verify.add_argument("--method", default="predict",
                        choices=["predict", "predict_proba", "decision_function", "transform",
                                 "value"])
    verify.add_argument("--rtol", type=float)
    verify.add_argument("--atol", type=float)
    verify.add_argument("--output", type=_output, help="ONNX output name or index")
    verify.add_argument("--expected-proba", type=Path,
                        help="reference probabilities, for tie-aware ONNX labels")
    verify.add_argument("--model-class", default="", metavar="MODULE:CLASS")
    verify.add_argument("--model-kwargs", default="{}", metavar="JSON")
    verify.add_argument("--timeout", type=float, default=120.0)
    return parser


def _finite(value: float):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def report_fields(report: Report) -> dict:
    return {"path": report.path, "format": report.format, "detail": report.detail,
            "verdict": report.verdict, "findings": list(report.findings),
            "notes": list(report.notes), "problem": report.problem,
            "imports": [list(pair) for pair in report.imports],
            "size_bytes": report.size_bytes}


def headline(report: Report) -> str:
    name = Path(report.path).name
    what = f"{report.format} ({report.detail})" if report.format else "unreadable"
    if report.verdict == UNREADABLE:
        return f"{name}: unreadable: {report.problem}"
    if report.verdict == UNSAFE:
        return f"{name}: {what}: unsafe, refused: {report.reason()}"
    if report.verdict == SANDBOX:
        return f"{name}: {what}: sandbox-only: it contains code, loaded only in the sandbox"
    n = len(report.imports)
    globals_ = f"; {n} global(s), all allowlisted" if n else ""
    return f"{name}: {what}: {report.verdict}{globals_}"


def inspect(args) -> tuple[int, dict, list[str]]:
    report = analyze(args.path, max_bytes=args.max_bytes, trusted=args.trust)
    lines = [headline(report)]
    if report.verdict == UNSAFE and len(report.findings) > 1:
        lines += [f"  - {finding}" for finding in report.findings]
    lines += [f"  note: {note}" for note in report.notes]
    return report.exit_code, {**report_fields(report), "exit_code": report.exit_code}, lines


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
    from autograder.reload import reload, select_output
    from autograder.sandbox import Limits

    report = analyze(args.path, max_bytes=args.max_bytes, trusted=args.trust)
    fields = {**report_fields(report), "identical": False, "n_rows": 0, "n_differ": None,
              "n_ties": 0, "max_abs_diff": None, "load_seconds": 0.0, "policy": "",
              "network_isolated": None}
    name = Path(report.path).name
    if not report.loadable:
        code = report.exit_code
        return code, {**fields, "exit_code": code, "message": headline(report)}, \
            [headline(report)]
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
        return code, {**fields, "exit_code": code, "message": message}, [message]

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
    from autograder import verify as policy

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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] and argv[0] in EXTERNAL_COMMANDS:
        try:
            module = importlib.import_module(EXTERNAL_COMMANDS[argv[0]])
        except ImportError as exc:
            print(f"autograder: error: '{argv[0]}' is not available: {exc}")
            return 2
        return module.main(argv[1:])
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        code, fields, lines = (inspect if args.command == "inspect" else verify)(args)
    except UsageError as exc:
        message = f"autograder: error: {exc} (see python -m autograder --help)"
        code, fields, lines = 2, {"error": str(exc), "exit_code": 2}, [message]
    except Exception as exc:  # never a traceback: one line, exit 2
        first = str(exc).splitlines()[0] if str(exc) else ""
        message = f"autograder: error: {type(exc).__name__}: {first}"
        code, fields, lines = 2, {"error": message, "exit_code": 2}, [message]
    if as_json:
        print(json.dumps(fields, allow_nan=False, default=str))
    else:
        print("\n".join(lines))
    return code
