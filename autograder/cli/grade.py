"""Grade a class with nbgrader: import, autograde in parallel and sandboxed, feedback, reports.

    autograder grade ASSIGNMENT --submissions DIR|ZIP [--workers N] [--timeout S] [--memory 4G]
    autograder grade --sample            every bundled sample class (`make grade`)
    autograder grade ... --dask tcp://HOST:8786 [--db postgresql://...]
                                         the jobs on a Dask cluster (or --dask local:N), the
                                         gradebook in a database server (`make cluster`)
    autograder grade ... --resume        finish a run whose merge stopped, grading no one again

Everything lands in the output folder (`graded/`): an nbgrader course directory with the
merged gradebook.db, submitted/, autograded/, feedback/ (HTML, hidden tests removed), and
grades.csv (nbgrader's export), ASSIGNMENT-cells.csv and ASSIGNMENT-outcomes.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.grading.limits import DEFAULT_TIMEOUT, human_bytes, parse_size

HELP = "grade a class with nbgrader, in parallel and sandboxed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", nargs="?", help="lesson id, e.g. 01-pickle")
    p.add_argument("--submissions", type=Path,
                   help="folder STUDENT/NOTEBOOK.ipynb, or an LMS .zip download")
    p.add_argument("--sample", action="store_true",
                   help="grade the bundled sample class (all lessons that have one if no "
                        "ASSIGNMENT) and check every expected grade")
    p.add_argument("--workers", type=int, default=0, help="parallel submissions (default: "
                   "number of cores)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"wall-clock seconds per submission (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="seconds per cell (default: the course's Execute.timeout)")
    p.add_argument("--memory", default="4G", help="address space per process (default 4G)")
    p.add_argument("--out", type=Path, help="output folder (default: graded/ in the course)")
    p.add_argument("--pattern",
                   help="regular expression for file names in a zip (student_id, file_id); "
                   "default: STUDENT_NUMBER_NOTEBOOK.ipynb, as LMS downloads name them")
    p.add_argument("--no-sandbox", dest="isolate", action="store_false",
                   help="no namespaces (limits and working copies still apply)")
    p.add_argument("--keep-work", action="store_true", help="keep the per-job working copies")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run the jobs on the Dask scheduler at tcp://HOST:PORT, or on a new "
                        "local cluster of N one-thread workers with local:N; --workers then "
                        "caps the jobs running at once (default: one per worker thread)")
    p.add_argument("--db", metavar="URL",
                   help="the gradebook's database, e.g. postgresql://USER:PASSWORD@HOST/DB "
                        "(default: the course config's CourseDirectory.db_url, else "
                        "OUT/gradebook.db)")
    p.add_argument("--resume", action="store_true",
                   help="finish a run that stopped: keep the outcomes it computed, merge what "
                        "it did not")


def run(args) -> int:
    from autograder.grading import database, intake
    from autograder.grading.distributed import (
        DaskExecutor,
        EnvironmentMismatch,
        SchedulerUnreachable,
    )
    from autograder.grading.limits import Limits
    from autograder.grading.orchestrator import DEFAULT_OUT, grade

    args.out = args.out or DEFAULT_OUT
    args.pattern = args.pattern or intake.DEFAULT_PATTERN
    try:
        limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout,
                        memory=parse_size(args.memory))
        # before anything is written: a scheduler that does not answer, or has no worker
        # that matches this grader, ends the command here
        executor = DaskExecutor(args.dask, window=args.workers) if args.dask else None
    except (ValueError, SchedulerUnreachable, EnvironmentMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        plan = plan_runs(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        if executor is not None:
            executor.shutdown()
        return 2
    status = 0
    try:
        for assignment, submissions in plan:
            try:
                graded = grade(assignment, submissions, out=args.out,
                               workers=executor.window if executor else args.workers,
                               limits=limits, isolate=args.isolate, pattern=args.pattern,
                               keep_work=args.keep_work, executor=executor, db_url=args.db,
                               resume=args.resume)
            except (intake.IntakeError, RuntimeError, database.GradebookUnavailable) as exc:
                print(f"error: {exc}", file=sys.stderr)
                status = max(status, 2)
                continue
            status = max(status, print_run(graded, limits, check_samples=args.sample))
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return status


def plan_runs(args) -> list[tuple[str, Path]]:
    """(assignment, submissions) pairs to grade; with --sample, build the sample classes."""
    from autograder.course.authoring import assignment_ids
    from autograder.grading import samples

    known = assignment_ids()
    if args.assignment and args.assignment not in known:
        raise ValueError(f"unknown assignment '{args.assignment}': choose one of "
                         f"{', '.join(known)}")
    if not args.sample:
        if not args.assignment or args.submissions is None:
            raise ValueError("give ASSIGNMENT and --submissions DIR|ZIP (or use --sample)")
        return [(args.assignment, args.submissions)]
    wanted = [args.assignment] if args.assignment else samples.sample_assignments()
    plan = []
    for assignment in wanted:
        zip_path = Path(args.out).absolute() / "samples" / f"{assignment}-class.zip"
        plan.append((assignment, samples.write_class(assignment, zip_path, as_zip=True)))
    return plan


def print_run(run, limits, *, check_samples: bool) -> int:
    from autograder.grading import report, samples

    expected = None
    if check_samples:
        by_name = {s.student: s for s in samples.load_class(run.assignment)}
        expected = {o.student: samples.check(by_name[o.student], o.status, o.score, o.reason)
                    if o.student in by_name else "not in the sample class"
                    for o in run.outcomes}
    n = len(run.outcomes)
    print(f"\n{run.assignment}: {n} submissions graded with {run.workers} workers in "
          f"{run.seconds:.0f} s; limits: {limits.describe()}.")
    for kind in ("network", "processes", "files"):
        seen = sorted({getattr(o.isolation, kind) for o in run.outcomes})
        print(f"  sandbox {kind}: {' | '.join(seen)}")
    print()
    print(report.summary(run.outcomes, expected))
    for line in run.skipped:
        print(f"  not imported: {line}")
    status = 0
    if run.tampered:
        print("\nPROTECTED FILES CHANGED WHILE SUBMISSIONS RAN (gradebook restored):")
        for line in run.tampered:
            print(f"  {line}")
        status = 1
    if expected and any(expected.values()):
        print("\nSample outcomes that differ from class.toml:")
        for student, problem in sorted(expected.items()):
            if problem:
                print(f"  {student}: {problem}")
        status = 1
    print(f"\nWrote {run.files['grades']}, {run.files['cells']}, {run.files['outcomes']}, "
          f"and feedback HTML under {run.files['feedback']}/ "
          f"(memory limit {human_bytes(limits.memory)} per process).")
    return status
