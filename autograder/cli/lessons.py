"""Regenerate the student versions, or check both trees of every lesson.

    autograder lessons             regenerate lessons/ from solutions/ (what `make lessons` runs)
    autograder lessons --check     exit 1 if lessons/ differs from a fresh generation
    autograder lessons --validate  every solution passes its tests, every student version fails

`nbgrader validate` always exits 0, so this runs nbgrader's own Validator and turns its result
into an exit code.
"""

from __future__ import annotations

import argparse

HELP = "regenerate lessons/ from solutions/, or check both trees"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="fail if lessons/ has drifted")
    parser.add_argument("--validate", action="store_true", help="validate both trees")


def run(args) -> int:
    from autograder.common.paths import ROOT
    from autograder.course.authoring import assignment_ids, drift, generate_lessons, validate

    if not (args.check or args.validate):
        generate_lessons()
        print(f"Regenerated lessons/ for {', '.join(assignment_ids())}.")
        return 0
    failed = False
    if args.check:
        for line in drift():
            print(line)
            failed = True
        print("lessons/ is in step with solutions/." if not failed else "lessons/ has drifted.")
    if args.validate:
        for assignment in assignment_ids():
            for tree, invert in (("solutions", False), ("lessons", True)):
                result = validate(ROOT / tree / assignment / f"{assignment}.ipynb", invert=invert)
                verdict = "ok" if result.ok else "FAILED"
                want = "all tests fail" if invert else "all tests pass"
                print(f"{tree}/{assignment}: {want}: {verdict} ({result.seconds:.0f} s)")
                for problem in result.problems:
                    print(f"    {problem}")
                failed |= not result.ok
    return 1 if failed else 0
