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

from autograder.common.paths import ROOT, course_config
from autograder.grading import database, intake, integrity, report
from autograder.grading.course import (
    define_assignment,
    empty_gradebook,
    grading_config,
    write_config_file,
)
from autograder.grading.journal import Journal
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
          progress: bool = True, db_url: str | None = None, resume: bool = False) -> GradeRun:
    """The whole flow for one assignment. Raises intake.IntakeError for unusable input,
    database.GradebookUnavailable when the gradebook's server does not answer.

    `db_url` (or the course config's CourseDirectory.db_url) puts the gradebook in a database
    server instead of OUT/gradebook.db. `resume` finishes a run that stopped: students whose
    outcome it kept are not graded again, and what it merged is not merged again."""
    use_environment()
    if not Path(submissions).exists():  # before any slow step
        raise intake.IntakeError(f"{submissions}: no such folder or zip file")
    start = time.perf_counter()
    limits = limits or Limits()
    workers = workers or os.cpu_count() or 1
    out = Path(out).absolute()
    config = grading_config(out, root=root)
    url = config.CourseDirectory.db_url = db_url or course_db_url(root) or \
        config.CourseDirectory.db_url
    sqlite = database.is_sqlite(url)
    if not sqlite:
        database.check(url)
    out.mkdir(parents=True, exist_ok=True)
    config_file = write_config_file(out, config, root=root)
    if not sqlite:  # stock nbgrader commands run in OUT use the same gradebook
        config_file.write_text(config_file.read_text() +
                               f"c.CourseDirectory.db_url = {url!r}\n")
        config_file.chmod(0o600)  # the URL may hold the database's password
    scratch = out / WORK / assignment
    if scratch.exists() and not resume:
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    journal = Journal(scratch)

    # 1-2. The assignment's definition: in the main gradebook, and in a template that each job
    # copies (so no job ever opens the main one). Then import and register the students.
    course_id = config.CourseDirectory.get("course_id", "default_course")
    template = scratch / "template.db"
    shutil.copyfile(empty_gradebook(out / WORK / "empty.db", course_id), template)
    define_assignment(grading_config(scratch, root=root, db=template), assignment,
                      scratch / "release")
    if sqlite and not (out / "gradebook.db").exists():  # a new one starts as the template
        shutil.copyfile(template, out / "gradebook.db")
    else:
        with database.lock(url, course_id, assignment):
            define_assignment(config, assignment, scratch / "release")
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
    if sqlite:
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
    kept = {s: o for s, o in journal.outcomes().items() if s in imported.students}
    jobs = [job for job in jobs if job.student not in kept]
    on_done = Progress(len(jobs)) if progress and jobs else None
    own = executor is None
    executor = executor or ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))))
    try:
        for outcome in run_jobs(jobs, executor, on_done):
            journal.record(outcome)  # kept on disk before anything is merged
            kept[outcome.student] = outcome
    finally:
        if own:
            executor.shutdown(cancel_futures=True)
    outcomes = sorted(kept.values(), key=lambda o: o.student)

    # Nothing a job ran may have changed these; if something did, undo it before merging.
    tampered = before.changes(integrity.Fingerprint.of(protected,
                                                       skip=("artifacts", "__pycache__")))
    if tampered and sqlite:
        shutil.copyfile(backup, out / "gradebook.db")
    merge_all(outcomes, config, journal)

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
                    time.perf_counter() - start, max(1, min(workers, len(jobs))))


def course_db_url(root: Path) -> str | None:
    """The course config's own CourseDirectory.db_url, if it sets one."""
    course = course_config(root).CourseDirectory
    return course.db_url if "db_url" in course else None


def merge_all(outcomes: list[GradeOutcome], config, journal: Journal) -> None:
    """Merge, in submission order, what the journal has not marked as merged, one
    assignment-wide write lock at a time. A gradebook that stops answering ends the run
    with one line; every outcome stays in the journal for `--resume`."""
    course = config.CourseDirectory
    url, course_id = course.db_url, course.get("course_id", "default_course")
    left = [o for o in outcomes if not journal.merged(o.student)]
    for done, outcome in enumerate(left):
        try:
            with database.lock(url, course_id, outcome.assignment):
                merge(outcome, config)
        except Exception:
            try:
                database.check(url)
            except database.GradebookUnavailable as down:
                raise database.GradebookUnavailable(
                    f"{down}; stopped after merging {done} of {len(left)} outcomes. All "
                    f"{len(outcomes)} are kept in {journal.folder}: run the same command "
                    "with --resume to merge the rest without grading anyone again") from None
            raise
        journal.mark_merged(outcome.student)
