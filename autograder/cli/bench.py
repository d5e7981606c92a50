"""Measure the course and the grader, and rewrite the report (what `make bench` runs).

    autograder bench [--only SECTION ...] [--quick] [--out FILE]

Sections, in order: grading (against stock nbgrader), artifacts (every format's checks), course
(each lesson's run time), serialization (throughput), formats (every route of the format guide:
size, save, start-up, latency), setup (install time), hub (grade on submit), cluster (Dask and
PostgreSQL); about 20 minutes on 2 cores, so run it on an otherwise idle machine. The report
goes to docs/benchmarks.md with its plot in docs/images/ and its data in docs/benchmarks.json;
`make bench` then regenerates the pages that quote it (docs/formats.md, docs/claims.md:
`autograder pages`). A section that fails becomes a one-line note and the others still run.
`--quick` (tiny inputs, to check that it all runs) writes to a temporary folder unless `--out`
is given. Exits 0 when every section ran, 1 when one failed (the report is written either way),
2 on bad arguments.

The benchmarks live in the course repository (`bench/`), not in the installed package.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HELP = "measure the course and the grader; rewrite docs/benchmarks.md (make bench)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--only", nargs="+", default=[], metavar="SECTION",
                        help="run only these sections (grading, artifacts, course, "
                             "serialization, formats, setup, hub, cluster)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny inputs, few repetitions: checks that the benchmark runs")
    parser.add_argument("--out", type=Path, default=None,
                        help="the markdown report (default docs/benchmarks.md; with --quick, "
                             "a temporary folder, so a check never overwrites the results)")


def _suite():
    from autograder.cli import UsageError
    from autograder.common.paths import ROOT

    if importlib.util.find_spec("bench") is None:
        if not (ROOT / "bench" / "suite.py").is_file():
            raise UsageError(f"no bench/ folder in {ROOT}: the benchmarks run from the course "
                             f"repository")
        sys.path.insert(0, str(ROOT))
    from bench import suite

    return suite


def run(args) -> int:
    import shlex

    from autograder.cli import UsageError

    suite = _suite()
    unknown = [name for name in args.only if name not in suite.SECTIONS]
    if unknown:
        raise UsageError(f"unknown section {unknown[0]!r}: choose from "
                         f"{', '.join(suite.SECTIONS)}")
    words = ["autograder", "bench"] + (["--only", *args.only] if args.only else []) \
        + (["--quick"] if args.quick else []) + (["--out", str(args.out)] if args.out else [])
    return suite.run(only=args.only, quick=args.quick, out=args.out, command=shlex.join(words))
