"""Write a lesson's bundled sample class, as a folder tree or as an LMS-style zip.

    autograder samples 01-pickle --out DIR          DIR/STUDENT/01-pickle.ipynb
    autograder samples 01-pickle --out CLASS.zip --zip
                                                    STUDENT_1001_01-pickle.ipynb entries, what
                                                    `nbgrader zip_collect` reads
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "write a lesson's sample class (folder or LMS zip)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="a lesson with samples/NN-slug/class.toml")
    parser.add_argument("--out", type=Path, required=True, help="folder, or .zip with --zip")
    parser.add_argument("--zip", action="store_true", help="write an LMS-style zip")


def run(args) -> int:
    from autograder.cli import UsageError
    from autograder.grading.samples import sample_assignments, write_class

    known = sample_assignments()
    if args.assignment not in known:
        raise UsageError(f"no sample class for '{args.assignment}': choose one of "
                         f"{', '.join(known)}")
    print(write_class(args.assignment, args.out, as_zip=args.zip))
    return 0
