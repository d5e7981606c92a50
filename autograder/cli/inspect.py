"""Analyse a saved model without running it.

    autograder inspect PATH [--json] [--max-bytes N] [--trust MODULE:NAME ...]

It never executes the file: it prints the format, the verdict and the findings, and exits 0
when nothing unsafe was found (verdict safe or sandbox-only), 1 when the file is unsafe and
refused, 2 when it is unreadable, corrupt or of an unknown format. `--json` prints one JSON
object with at least `path`, `format`, `verdict` and `findings`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from autograder.artifacts.streams import DEFAULT_MAX_BYTES

HELP = "analyse a saved model without running it"


def _pair(text: str) -> tuple[str, str]:
    module, sep, name = text.partition(":")
    if not (sep and module and name):
        raise argparse.ArgumentTypeError(f"expected MODULE:NAME, got {text!r}")
    return module, name


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    """What `inspect` and `verify` share: the file, the budget, trusted pairs, JSON output."""
    parser.add_argument("path", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help="analysis budget in (decompressed) bytes")
    parser.add_argument("--trust", type=_pair, action="append", default=[],
                        metavar="MODULE:NAME", help="also accept this exact global")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file_arguments(parser)


def emit(args, code: int, fields: dict, lines: list[str]) -> int:
    """Print the result as one JSON object or as lines; return the exit code."""
    if args.json:
        print(json.dumps({**fields, "exit_code": code}, allow_nan=False, default=str))
    else:
        print("\n".join(lines))
    return code


def report_fields(report) -> dict:
    return {"path": report.path, "format": report.format, "detail": report.detail,
            "verdict": report.verdict, "findings": list(report.findings),
            "notes": list(report.notes), "problem": report.problem,
            "imports": [list(pair) for pair in report.imports],
            "size_bytes": report.size_bytes}


def headline(report, trusted: bool = False) -> str:
    from autograder.artifacts.enums import Verdict

    name = Path(report.path).name
    what = f"{report.format} ({report.detail})" if report.format else "unreadable"
    if report.verdict == Verdict.UNREADABLE:
        return f"{name}: unreadable: {report.problem}"
    if report.verdict == Verdict.UNSAFE:
        return f"{name}: {what}: unsafe, refused: {report.reason()}"
    if report.verdict == Verdict.SANDBOX:
        return f"{name}: {what}: sandbox-only: it contains code, loaded only in the sandbox"
    n = len(report.imports)
    allowed = "allowlisted or trusted (--trust)" if trusted else "allowlisted"
    globals_ = f"; {n} global(s), all {allowed}" if n else ""
    return f"{name}: {what}: {report.verdict}{globals_}"


def run(args) -> int:
    from autograder.artifacts.analysis import analyze
    from autograder.artifacts.enums import Verdict

    report = analyze(args.path, max_bytes=args.max_bytes, trusted=args.trust)
    lines = [headline(report, bool(args.trust))]
    if report.verdict == Verdict.UNSAFE and len(report.findings) > 1:
        lines += [f"  - {finding}" for finding in report.findings]
    lines += [f"  note: {note}" for note in report.notes]
    return emit(args, report.exit_code, report_fields(report), lines)
