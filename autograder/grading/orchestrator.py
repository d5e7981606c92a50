"""Grade one assignment: import, register, autograde in parallel, merge, feedback, export.

`grade(assignment, submissions, ...) -> GradeRun` is what `autograder grade` runs. Everything
lands in the output folder (`graded/`): an nbgrader course directory with the merged
gradebook.db, submitted/, autograded/, feedback/ (HTML, hidden tests removed), and
grades.csv (nbgrader's export), ASSIGNMENT-cells.csv and ASSIGNMENT-outcomes.csv.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.grading import intake, integrity, report
from autograder.grading.course import (
    define_assignment,
    empty_gradebook,
    grading_config,
    write_config_file,
)
from autograder.grading.limits import Limits
from autograder.grading.merge import merge
from autograder.grading.outcome import GradeOutcome
from autograder.grading.workers import GradeJob, run_jobs

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
