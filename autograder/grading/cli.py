"""`python -m autograder grade`: import, register, autograde in parallel, merge, feedback, export.

    python -m autograder grade ASSIGNMENT --submissions DIR|ZIP [--workers N] [--timeout S]
    python -m autograder grade --sample            every bundled sample class (`make grade`)

Everything lands in the output folder (`graded/`): an nbgrader course directory with the
merged gradebook.db, submitted/, autograded/, feedback/ (HTML, hidden tests removed), and
grades.csv (nbgrader's export), ASSIGNMENT-cells.csv and ASSIGNMENT-outcomes.csv.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import intake, integrity, report, samples
from autograder.grading.course import (
    define_assignment,
    empty_gradebook,
    grading_config,
    write_config_file,
)
from autograder.grading.limits import DEFAULT_TIMEOUT, Limits, human_bytes, parse_size
from autograder.grading.merge import merge
from autograder.grading.outcome import GradeOutcome
from autograder.grading.workers import GradeJob, run_jobs
from autograder.lessons import ROOT, assignment_ids

DEFAULT_OUT = ROOT / "graded"
WORK = ".work"


@dataclass
class GradeRun:
    """One `grade` run, for the command line and for tests."""

    assignment: str
    out: Path
    outcomes: list[GradeOutcome] = field(default_factory=list)
    skipped: tuple[str, ...] = ()
    tampered: list[str] = field(default_factory=list)  # protected files changed by a job
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 1


class Progress:
    """One line per finished submission on stderr, with a bar; the CLI is not a grade cell."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.start, self.stream = total, 0, time.perf_counter(), stream

    def __call__(self, outcome: GradeOutcome) -> None:
        self.done += 1
        filled = round(20 * self.done / self.total)
        print(f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total} "
              f"{time.perf_counter() - self.start:4.0f} s  {outcome.student}: "
              f"{outcome.score:g}/{outcome.max_score:g} {outcome.status}",
              file=self.stream, flush=True)


def use_environment() -> None:
    """nbgrader and the kernel come from this interpreter's environment, whatever PATH says."""
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    os.environ.setdefault("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))


def grade(assignment: str, submissions: Path, *, out: Path = DEFAULT_OUT, workers: int = 0,
          limits: Limits | None = None, isolate: bool = True,
          pattern: str = intake.DEFAULT_PATTERN, keep_work: bool = False,
          executor: Executor | None = None, root: Path = ROOT,
          progress: bool = True) -> GradeRun:
    """The whole flow for one assignment. Raises intake.IntakeError for unusable input."""
    use_environment()
    if not Path(submissions).exists():  # before any slow step
        raise intake.IntakeError(f"{submissions}: no such folder or zip file")
    start = time.perf_counter()
    limits = limits or Limits()
    workers = workers or os.cpu_count() or 1
    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    config = grading_config(out, root=root)
    write_config_file(out, config, root=root)
    scratch = out / WORK / assignment
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)

    # 1-2. The assignment's definition: in the main gradebook, and in a template that each job
    # copies (so no job ever opens the main one). Then import and register the students.
    course_id = config.CourseDirectory.get("course_id", "default_course")
    template = scratch / "template.db"
    shutil.copyfile(empty_gradebook(out / WORK / "empty.db", course_id), template)
    define_assignment(grading_config(scratch, root=root, db=template), assignment,
                      scratch / "release")
    if (out / "gradebook.db").exists():
        define_assignment(config, assignment, scratch / "release")
    else:  # a new main gradebook starts as the template
        shutil.copyfile(template, out / "gradebook.db")
    imported = intake.import_submissions(Path(submissions), assignment, config, pattern)
    if not imported.students:
        raise intake.IntakeError(f"{submissions}: no submissions of {assignment} found "
                                 f"({'; '.join(imported.skipped) or 'empty'})")

    course = config.CourseDirectory
    protected = [out / "gradebook.db", out / course.get("submitted_directory", "submitted"),
                 Path(course.source_directory) / assignment,
                 Path(course.release_directory) / assignment, Path(submissions),
                 Path(root) / "gradebook.db"]
    before = integrity.Fingerprint.of(protected, skip=("artifacts", "__pycache__"))
    backup = scratch / "gradebook.backup.db"
    shutil.copyfile(out / "gradebook.db", backup)

    # 3-4. Autograde and feedback, one job per student, in parallel.
    jobs = [GradeJob(assignment=assignment, student=student,
                     submission=str(intake.submitted_folder(config, student, assignment)),
                     work=str(scratch / "jobs" / student), template_db=str(template),
                     release=str(Path(course.release_directory) / assignment), out=str(out),
                     course_root=str(root), course_id=course_id,
                     limits=limits, isolate=isolate,
                     hide=(str(Path(course.source_directory)), str(Path(submissions).absolute()),
                           str(Path(root) / "gradebook.db")))
            for student in imported.students]
    on_done = Progress(len(jobs)) if progress else None
    own = executor is None
    executor = executor or ProcessPoolExecutor(max_workers=min(workers, len(jobs)))
    try:
        outcomes = sorted(run_jobs(jobs, executor, on_done), key=lambda o: o.student)
    finally:
        if own:
            executor.shutdown(cancel_futures=True)

    # Nothing a job ran may have changed these; if something did, undo it before merging.
    tampered = before.changes(integrity.Fingerprint.of(protected,
                                                       skip=("artifacts", "__pycache__")))
    if tampered:
        shutil.copyfile(backup, out / "gradebook.db")
    for outcome in outcomes:
        merge(outcome, config)

    # 5-6. nbgrader's grades.csv, our per-cell and per-submission reports.
    files = {
        "grades": report.export_grades(config, out / "grades.csv"),
        "cells": report.write_cells(outcomes, out / f"{assignment}-cells.csv"),
        "outcomes": report.write_outcomes(outcomes, out / f"{assignment}-outcomes.csv"),
        "feedback": out / course.get("feedback_directory", "feedback"),
    }
    if not keep_work:
        shutil.rmtree(scratch, ignore_errors=True)
    return GradeRun(assignment, out, outcomes, imported.skipped, tampered, files,
                    time.perf_counter() - start, min(workers, len(jobs)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m autograder grade",
        description="Grade a class with nbgrader: import, autograde in parallel and sandboxed, "
                    "feedback without hidden tests, grades.csv and reports.")
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
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (graded/)")
    p.add_argument("--pattern", default=intake.DEFAULT_PATTERN,
                   help="regular expression for file names in a zip (student_id, file_id)")
    p.add_argument("--no-sandbox", dest="isolate", action="store_false",
                   help="no namespaces (limits and working copies still apply)")
    p.add_argument("--keep-work", action="store_true", help="keep the per-job working copies")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        limits = Limits(timeout=args.timeout, cell_timeout=args.cell_timeout,
                        memory=parse_size(args.memory))
        plan = plan_runs(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status = 0
    for assignment, submissions in plan:
        try:
            run = grade(assignment, submissions, out=args.out, workers=args.workers,
                        limits=limits, isolate=args.isolate, pattern=args.pattern,
                        keep_work=args.keep_work)
        except (intake.IntakeError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = max(status, 2)
            continue
        status = max(status, print_run(run, limits, check_samples=args.sample))
    return status


def plan_runs(args) -> list[tuple[str, Path]]:
    """(assignment, submissions) pairs to grade; with --sample, build the sample classes."""
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


def print_run(run: GradeRun, limits: Limits, *, check_samples: bool) -> int:
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


if __name__ == "__main__":
    sys.exit(main())
