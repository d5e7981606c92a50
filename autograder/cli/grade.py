"""Grade an nbgrader assignment as `nbgrader autograde` does: in parallel, sandboxed, with
feedback that never shows hidden tests, and time limits a busy machine cannot trip.

    cd COURSE && autograder grade ASSIGNMENT       grade COURSE/submitted/*/ASSIGNMENT
    autograder grade ASSIGNMENT --course DIR [--student ID ...] [--force]
    autograder grade ASSIGNMENT --submissions DIR|ZIP [--out DIR]   import a class first
    autograder grade --sample                      every bundled sample class (`make grade`)
    autograder grade ... --dask tcp://HOST:8786 [--db postgresql://...]
                              the jobs on a Dask cluster (or --dask local:N), the gradebook
                              in a database server (`make cluster` starts both)
    autograder grade ... --resume                  finish a run whose merge stopped, grading
                                                   no one again

Results go where stock nbgrader puts them: the course's gradebook (its db_url), autograded/
and feedback/ (HTML, hidden tests removed), with nbgrader's grades.csv and our
ASSIGNMENT-cells.csv and ASSIGNMENT-outcomes.csv next to them; with --out, into that folder
instead. As stock autograde, a submission already autograded is graded again only when it was
submitted again since (a newer timestamp.txt) or with --force.

Time limits: each submission may use 3x the CPU time that grading the solution took, and
spend 3x its wall-clock time waiting (a sleep, a deadlock; time a busy machine makes it wait
while it computes does not count), at least a minute of each. The solution is measured once
per version of the assignment and cached; --cpu-time/--timeout set the limits instead. A
submission stopped at a limit is graded once more after the others, alone; if it stops again
it is reported as `timeout`, flagged.

Quick mode (the default): the kernel runs with AUTOGRADER_QUICK=1, so lessons measure with
fewer repetitions; tests and graded figures are the same. --full runs what students run.

For a service grading each submission as it arrives (e.g. JupyterHub), run
`autograder grade ASSIGNMENT --course DIR --measure` once when the assignment is released (so
the first submission does not wait for the solution's measurement), then for each submission
`autograder grade ASSIGNMENT --course DIR --student ID --json`: one JSON object on stdout
with the outcome; exit code 0 when every submission was graded, 1 when one was not (timeout,
error) or a protected file changed, 2 when nothing could be graded (a one-line error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "grade an assignment as nbgrader autograde does, in parallel and sandboxed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("assignment", nargs="?", help="the assignment, e.g. ps1 or 01-pickle")
    p.add_argument("--course", type=Path, default=None,
                   help="the nbgrader course folder (default: the current folder)")
    p.add_argument("--student", nargs="+", action="extend", default=[], metavar="ID",
                   help="grade only these students")
    p.add_argument("--force", action="store_true",
                   help="grade again submissions that were already autograded")
    p.add_argument("--submissions", type=Path,
                   help="first import a folder STUDENT/NOTEBOOK.ipynb or an LMS .zip download")
    p.add_argument("--out", type=Path,
                   help="put submissions, gradebook and results in this folder instead of "
                        "the course (--sample: graded/ in the course)")
    p.add_argument("--sample", action="store_true",
                   help="grade this course's bundled sample class (every lesson that has one "
                        "if no ASSIGNMENT) and check every expected grade")
    p.add_argument("--workers", type=int, default=0,
                   help="parallel submissions (default: number of cores)")
    p.add_argument("--cpu-time", type=float, default=None, metavar="S",
                   help="CPU seconds per submission (default: 3x the solution's)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="wall-clock seconds a submission may wait, idle (default: 3x the "
                        "solution's wall-clock time)")
    p.add_argument("--cell-timeout", type=int, default=None, metavar="S",
                   help="seconds per cell (default: the course's Execute.timeout)")
    p.add_argument("--memory", default="4G", help="address space per process (default 4G)")
    p.add_argument("--measure", action="store_true",
                   help="grade nothing: measure the solution now (again if cached) and print "
                        "the limits submissions get")
    p.add_argument("--full", dest="quick", action="store_false",
                   help="no quick mode: measurement cells run as they do for students")
    p.add_argument("--pattern",
                   help="regular expression for file names in a zip (student_id, file_id); "
                        "default: the course's, else STUDENT_NUMBER_NOTEBOOK.ipynb")
    p.add_argument("--no-sandbox", dest="isolate", action="store_false",
                   help="no namespaces (limits and working copies still apply)")
    p.add_argument("--keep-work", action="store_true", help="keep the per-job working copies")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run the jobs on the Dask scheduler at tcp://HOST:PORT, or on a new "
                        "local cluster of N one-thread workers with local:N; --workers then "
                        "caps the jobs running at once (default: one per worker thread)")
    p.add_argument("--db", metavar="URL",
                   help="the gradebook's database, e.g. postgresql://USER:PASSWORD@HOST/DB "
                        "(default: the course's db_url, or OUT/gradebook.db with --out)")
    p.add_argument("--resume", action="store_true",
                   help="finish a run that stopped: keep the outcomes it computed, merge what "
                        "it did not")


def run(args) -> int:
    from autograder.grading.distributed import EnvironmentMismatch, SchedulerUnreachable
    from autograder.grading.limits import parse_size

    try:
        memory = parse_size(args.memory)
        limits = given_limits(args, memory)
        # before anything is written: a scheduler that does not answer, or has no worker
        # that matches this grader, ends the command here
        executor = dask_executor(args)
    except (ValueError, SchedulerUnreachable, EnvironmentMismatch) as exc:
        return fail(args, str(exc))
    try:
        try:
            plan = plan_runs(args)
        except (ValueError, FileNotFoundError) as exc:
            return fail(args, str(exc))
        if args.measure:
            return measure(args, plan, memory)
        return grade_plan(args, plan, limits, memory, executor)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)


def dask_executor(args):
    """--dask: the cluster's executor, connected and its workers checked; else None."""
    if not args.dask or args.measure:
        return None
    from autograder.grading.distributed import DaskExecutor

    return DaskExecutor(args.dask, window=args.workers)


def grade_plan(args, plan, limits, memory: int, executor) -> int:
    from autograder.grading import database, intake
    from autograder.grading.orchestrator import grade

    status, runs, errors = 0, [], []
    for assignment, course, out, submissions in plan:
        try:
            graded = grade(assignment, course=course, out=out, submissions=submissions,
                           students=tuple(args.student), force=args.force,
                           workers=executor.window if executor else args.workers,
                           limits=limits, memory=memory, cell_timeout=args.cell_timeout,
                           isolate=args.isolate, quick=args.quick, pattern=args.pattern,
                           keep_work=args.keep_work, progress=not args.json,
                           executor=executor, db_url=args.db, resume=args.resume)
        except (intake.IntakeError, RuntimeError, ValueError,
                database.GradebookUnavailable) as exc:
            errors.append(f"{assignment}: {exc}")
            status = 2 if args.json else max(status, fail(args, str(exc)))
            continue
        runs.append(graded)
        status = max(status, report_run(graded, check_samples=args.sample, quiet=args.json))
    if args.json:
        print(json.dumps({"runs": [as_json(r) for r in runs], "errors": errors,
                          "exit_code": status}))
    return status


def measure(args, plan, memory: int) -> int:
    """--measure: the solution's limits, measured now, for each assignment of the plan."""
    from autograder.grading import database
    from autograder.grading.orchestrator import measure_solution

    for assignment, course, out, _ in plan:
        try:
            limits = measure_solution(assignment, course=course, out=out, quick=args.quick,
                                      isolate=args.isolate, again=True, memory=memory,
                                      cell_timeout=args.cell_timeout, db_url=args.db)
        except (RuntimeError, ValueError, database.GradebookUnavailable) as exc:
            return fail(args, str(exc))
        print(json.dumps({"assignment": assignment, "cpu_seconds": limits.cpu_seconds,
                          "wall_seconds": limits.wall_seconds, "basis": limits.basis})
              if args.json else f"{assignment}: {limits.describe()}")
    return 0


def fail(args, message: str) -> int:
    """One line: on stderr, or with --json the one JSON object on stdout."""
    if args.json:
        print(json.dumps({"runs": [], "errors": [message], "exit_code": 2}))
    else:
        print(f"error: {message}", file=sys.stderr)
    return 2


def given_limits(args, memory: int):
    """JobLimits from --cpu-time/--timeout (each defaults to the other), or None to measure."""
    from autograder.grading.limits import JobLimits

    if args.cpu_time is None and args.timeout is None:
        JobLimits(memory=memory, cell_timeout=args.cell_timeout)  # validates them now
        return None
    cpu = args.timeout if args.cpu_time is None else args.cpu_time  # 0 is given, and refused
    wall = args.cpu_time if args.timeout is None else args.timeout
    return JobLimits(cpu_seconds=cpu, wall_seconds=wall, memory=memory,
                     cell_timeout=args.cell_timeout, basis="given on the command line")


def plan_runs(args) -> list[tuple[str, Path, Path | None, Path | None]]:
    """(assignment, course, out, submissions) to grade; with --sample, build the classes."""
    from autograder.common.paths import ROOT
    from autograder.grading import samples

    if not args.sample:
        if not args.assignment:
            raise ValueError("give the ASSIGNMENT to grade (or --sample)")
        return [(args.assignment, (args.course or Path.cwd()).absolute(), args.out,
                 args.submissions)]
    known = samples.sample_assignments()
    if args.assignment and args.assignment not in known:
        raise ValueError(f"no sample class for '{args.assignment}': choose one of "
                         f"{', '.join(known)}")
    out = (args.out or ROOT / "graded").absolute()
    plan = []
    for assignment in [args.assignment] if args.assignment else known:
        zip_path = out / "samples" / f"{assignment}-class.zip"
        plan.append((assignment, ROOT, out,
                     samples.write_class(assignment, zip_path, as_zip=True)))
    return plan


def as_json(run) -> dict:
    return {"assignment": run.assignment, "course": str(run.course.root), "out": str(run.out),
            "seconds": round(run.seconds, 3), "skipped": list(run.skipped),
            "tampered": run.tampered,
            "outcomes": [{"student": o.student, "status": str(o.status), "score": o.score,
                          "max_score": o.max_score, "late_penalty": o.late_penalty,
                          "flagged": o.flagged, "reason": o.reason,
                          "feedback": str(run.course.path("feedback_directory", o.student,
                                                          o.assignment))
                          if o.status == "graded" else None}
                         for o in run.outcomes]}


def report_run(run, *, check_samples: bool, quiet: bool) -> int:
    """Print what happened (unless quiet); the exit code: 1 when something needs a look."""
    from autograder.common.units import duration
    from autograder.grading import classreport, report, samples
    from autograder.grading.outcome import GradeStatus

    expected = None
    if check_samples:
        by_name = {s.student: s for s in samples.load_class(run.assignment)}
        named: dict[str, list[str]] = {}
        for found in classreport.collect(run.course, run.assignment).found:
            for student in found.students:
                named.setdefault(student, []).append(found.mistake.id)
        expected = {o.student: samples.check(by_name[o.student], o.status, o.score, o.reason,
                                             tuple(named.get(o.student, ())))
                    if o.student in by_name else "not in the sample class"
                    for o in run.outcomes}
    failed = [o for o in run.outcomes if o.status != GradeStatus.GRADED]
    status = 1 if run.tampered or (any(expected.values()) if expected else failed) else 0
    if quiet:
        return status
    if run.outcomes:
        print(f"\n{run.assignment}: {len(run.outcomes)} submissions graded with {run.workers} "
              f"at a time in {duration(run.seconds)}.")
    else:
        print(f"\n{run.assignment}: nothing to grade.")
    if run.limits:
        print(f"  limits: {run.limits.describe()}")
    for kind in ("network", "processes", "files"):
        seen = sorted({getattr(o.isolation, kind) for o in run.outcomes})
        if seen:
            print(f"  sandbox {kind}: {' | '.join(seen)}")
    if run.outcomes:
        print()
        print(report.summary(run.outcomes, expected))
    for line in run.skipped:
        print(f"  not graded: {line}")
    if any(o.flagged for o in run.outcomes):
        print("\n* flagged for the instructor (in the gradebook too): not graded, or stopped "
              "at a time limit (on a second try, alone, too).")
    if run.tampered:
        print("\nPROTECTED FILES CHANGED WHILE SUBMISSIONS RAN (gradebook restored):")
        for line in run.tampered:
            print(f"  {line}")
    if expected and any(expected.values()):
        print("\nSample outcomes that differ from class.toml:")
        for student, problem in sorted(expected.items()):
            if problem:
                print(f"  {student}: {problem}")
    print(f"\nWrote {run.files['grades']}, {run.files['cells']}, {run.files['outcomes']}, "
          f"and feedback HTML under {run.files['feedback']}/.")
    return status
