"""Score your own notebook as the instructor's grading would, without changing it.

    autograder score lessons/01-pickle/01-pickle.ipynb
    autograder score my-copy.ipynb --assignment 01-pickle
    autograder score --samples [ASSIGNMENT ...]     every bundled sample, against class.toml

The course's own grader (the sandbox, limits and hidden tests of `autograder grade`) runs on a
copy of the notebook in a throw-away course. It prints the points, one line per test that did
not pass, and where the feedback page (hidden tests removed) is kept; the score is recorded for
`autograder progress`. Save the notebook first: the file on disk is what is graded.

The lesson is found from the file or folder name (01-pickle.ipynb, or a copy such as
01-pickle-Copy1.ipynb), else from the graded cells the notebook carries.

Quick mode (the default) runs measurement cells with fewer repetitions, as `autograder grade`
does; tests and points are the same. --full runs what students run.

--samples scores each sample submission of the bundled classes (samples/NN-slug/class.toml)
this way, one at a time, and checks it gets the grade class.toml expects, the grade
`make grade` checks. Exit code: 0 scored (or every sample as expected), 1 not graded (a time
limit, an error) or a sample that differs, 2 nothing could be scored (a one-line error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "score your own notebook with the course's grader (a copy; nothing changes)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", nargs="?", type=Path, help="the notebook, e.g. "
                   "lessons/01-pickle/01-pickle.ipynb")
    p.add_argument("--assignment", help="the lesson, when the file name does not say it")
    p.add_argument("--samples", nargs="*", metavar="ASSIGNMENT", default=None,
                   help="score the bundled sample submissions (of these lessons; default: "
                        "every lesson with a sample class) and compare with class.toml")
    p.add_argument("--student", nargs="+", action="extend", default=[], metavar="ID",
                   help="with --samples: only these sample students")
    p.add_argument("--full", dest="quick", action="store_false",
                   help="no quick mode: measurement cells run as they do for students")
    p.add_argument("--no-sandbox", dest="isolate", action="store_false",
                   help="no namespaces (limits and the working copy still apply)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args) -> int:
    from autograder.grading import selfscore

    try:
        if args.samples is not None:
            return samples(args)
        if args.notebook is None:
            raise selfscore.ScoreError("give the NOTEBOOK to score (or --samples)")
        result = selfscore.score(args.notebook, assignment=args.assignment, quick=args.quick,
                                 isolate=args.isolate, keep=selfscore.feedback_folder())
    except (ValueError, OSError) as exc:  # ScoreError is a ValueError
        print(json.dumps({"error": str(exc), "exit_code": 2}) if args.json
              else f"error: {exc}", file=sys.stdout if args.json else sys.stderr)
        return 2
    recorded = selfscore.remember(result)
    status = 0 if result.status == "graded" else 1
    if args.json:
        print(json.dumps({**as_json(result), "progress": str(recorded), "exit_code": status}))
    else:
        print(describe(result, recorded))
    return status


def as_json(result) -> dict:
    return {"assignment": result.assignment, "notebook": str(result.notebook),
            "status": str(result.status), "score": result.score,
            "max_score": result.max_score, "reason": result.reason,
            "failed": [{"grade_id": t.grade_id, "score": t.score, "max_score": t.max_score,
                        "reason": t.reason, "mistakes": list(t.mistakes)}
                       for t in result.failed],
            "notes": list(result.notes),
            "feedback": str(result.feedback) if result.feedback else None,
            "seconds": round(result.seconds, 3), "quick": result.quick}


def describe(result, recorded: Path) -> str:
    from autograder.common.units import duration

    mode = "quick mode" if result.quick else "full mode"
    lines = [f"{result.assignment}: {result.score:g} / {result.max_score:g} points "
             f"({mode}, graded in {duration(result.seconds)})"]
    if result.status != "graded":
        lines.append(f"  not graded ({result.status}): {result.reason}")
    elif not result.failed:
        lines.append("  every test passed")
    width = max((len(t.grade_id) for t in result.failed), default=0)
    for test in result.failed:
        named = f" (mistake: {', '.join(test.mistakes)}: see the feedback page)" \
            if test.mistakes else ""
        lines.append(f"  {test.grade_id:<{width}}  {test.score:g}/{test.max_score:g}  "
                     f"{test.reason}{named}")
    lines += [f"  note: {note}" for note in result.notes]
    lines.append(f"  sandbox: network {result.isolation.network}; files "
                 f"{result.isolation.files}")
    if result.feedback:
        lines.append(f"Feedback (hidden tests removed): {result.feedback}")
    lines.append(f"Your notebook was graded as a copy and not changed. Recorded in {recorded} "
                 f"(see `autograder progress`).")
    return "\n".join(lines)


def samples(args) -> int:
    """--samples: every sample submission scored as a learner would, against class.toml."""
    from autograder.common.units import duration
    from autograder.grading import report, selfscore
    from autograder.grading import samples as bundled

    known = bundled.sample_assignments()
    unknown = [a for a in args.samples if a not in known]
    if unknown:
        raise selfscore.ScoreError(f"no sample class for {', '.join(unknown)}: choose from "
                                   f"{', '.join(known)}")

    def done(check) -> None:
        if not args.json:
            print(f"  {check.student}: {check.result.score:g}/{check.result.max_score:g} "
                  f"{'ok' if not check.problem else 'DIFFERS: ' + check.problem} "
                  f"({duration(check.result.seconds)})", file=sys.stderr, flush=True)

    checks = {}
    for assignment in args.samples or known:
        if not args.json:
            print(f"{assignment}:", file=sys.stderr, flush=True)
        checks[assignment] = selfscore.check_samples(
            assignment, quick=args.quick, isolate=args.isolate,
            students=tuple(args.student), on_done=done)
    every = [c for found in checks.values() for c in found]
    matched = sum(not c.problem for c in every)
    status = 0 if matched == len(every) else 1
    if args.json:
        print(json.dumps({"matched": matched, "scored": len(every), "exit_code": status,
                          "samples": [{"assignment": a, "student": c.student,
                                       "expected": c.expected, "score": c.result.score,
                                       "status": str(c.result.status),
                                       "problem": c.problem, "seconds": c.result.seconds}
                                      for a, found in checks.items() for c in found]}))
        return status
    rows = [[a, c.student, f"{c.result.score:g}/{c.result.max_score:g}", f"{c.expected:g}",
             "ok" if not c.problem else "DIFFERS", duration(c.result.seconds), c.problem]
            for a, found in checks.items() for c in found]
    print(report.table(rows, ["lesson", "student", "score", "expected", "check", "time",
                              "difference"]))
    print(f"\n{matched} of {len(every)} self-study scores equal the grade class.toml expects.")
    return status
