"""Grade one assignment: what `autograder grade` runs, step by step.

`grade(assignment, course=DIR) -> GradeRun` does what `cd DIR && nbgrader autograde ASSIGNMENT
&& nbgrader generate_feedback ASSIGNMENT` does, in parallel and sandboxed, with feedback that
never shows hidden tests: the course's gradebook, autograded/ and feedback/ receive the
results. With `out=FOLDER` they go to that folder instead (`make grade` uses `graded/`), and
`submissions=DIR|ZIP` imports a class there first; `db_url=` puts the gradebook in a
database server (PostgreSQL), and `executor=` runs the jobs elsewhere (a Dask cluster:
`distributed.DaskExecutor`). The steps, each a function below:

    GradingCourse.open    the course's settings as nbgrader reads them, and where results go
    choose_students       imported ones, or those `nbgrader autograde` would grade
    worker_pool           started at once, so the workers start their zygotes meanwhile
    define                the assignment in the gradebook (generated only where it is missing,
                          or always from the source when grading into another folder)
    make_template         the assignment's definition alone, for each job to copy
    measure_limits        from the solution's own measured grading time (cached)
    make_jobs             one per student, with the student's earlier state
    grade_watched         every job in parallel, timeouts once more afterwards and alone
                          (`grade_all`), and a tripwire on the files no job may change
    merge_all             into the gradebook, one outcome at a time, each kept on disk
                          first (`journal`), so a gradebook that stops answering loses
                          nothing and `resume=True` finishes without grading anyone again
    write_reports         nbgrader's grades.csv, ASSIGNMENT-cells.csv, ASSIGNMENT-outcomes.csv,
                          ASSIGNMENT-mistakes.csv/.html (`classreport`)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from autograder.common.paths import ROOT, venv_environment
from autograder.common.units import duration
from autograder.grading import (
    classreport,
    database,
    gradebook,
    intake,
    integrity,
    reference,
    report,
    zygote,
)
from autograder.grading.course import (
    GradingCourse,
    define_assignment,
    submitted_students,
    write_config_file,
)
from autograder.grading.journal import Journal
from autograder.grading.limits import DEFAULT_MEMORY, FALLBACK_SECONDS, JobLimits
from autograder.grading.merge import merge
from autograder.grading.outcome import GradeOutcome, GradeStatus
from autograder.grading.workers import GradeJob, run_jobs

SCRATCH = ".autograder"  # in the output folder: the jobs' working copies
SKIP_FINGERPRINT = ("artifacts", "__pycache__")


@dataclass
class GradeRun:
    """One `grade` run, for the command line and for tests."""

    assignment: str
    course: GradingCourse
    outcomes: list[GradeOutcome] = field(default_factory=list)
    skipped: tuple[str, ...] = ()  # "what: why", not graded and not an outcome
    tampered: list[str] = field(default_factory=list)  # protected files changed by a job
    limits: JobLimits | None = None
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 1

    @property
    def out(self) -> Path:
        return self.course.out


class Progress:
    """One line per finished submission on stderr, with a bar; the CLI is not a grade cell."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.start, self.stream = total, 0, time.perf_counter(), stream

    def __call__(self, outcome: GradeOutcome) -> None:
        self.done += 1
        filled = round(20 * self.done / max(self.total, 1))
        print(f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total} "
              f"{duration(time.perf_counter() - self.start)}  {outcome.student}: "
              f"{outcome.score:g}/{outcome.max_score:g} {outcome.status}",
              file=self.stream, flush=True)


def grade(assignment: str, *, course: Path = ROOT, out: Path | None = None,
          submissions: Path | None = None, students: tuple[str, ...] = (),
          force: bool = False, workers: int = 0, limits: JobLimits | None = None,
          memory: int = DEFAULT_MEMORY, cell_timeout: int | None = None,
          isolate: bool = True, quick: bool = True, pattern: str | None = None,
          keep_work: bool = False, executor: Executor | None = None,
          progress: bool = True, db_url: str | None = None, resume: bool = False
          ) -> GradeRun:
    """The whole flow for one assignment. Raises intake.IntakeError for unusable input,
    RuntimeError when nbgrader cannot define the assignment, and
    database.GradebookUnavailable when the gradebook's server does not answer.

    `limits` None derives the time limits from the solution (`measure_limits`), with `memory`
    and `cell_timeout`; `quick` sets AUTOGRADER_QUICK=1 for the kernel. `db_url` replaces
    the course's gradebook (or `out`'s gradebook.db). `resume` finishes a run that stopped:
    the students whose outcome it kept are not graded again, what it merged is not merged again.
    """
    os.environ.update(venv_environment())  # nbgrader runs alembic and kernels from here
    if submissions is not None and not Path(submissions).exists():  # before any slow step
        raise intake.IntakeError(f"{submissions}: no such folder or zip file")
    start = time.perf_counter()
    graded = open_course(course, out, db_url)
    scratch = fresh_scratch(graded, assignment, keep=resume)
    journal = Journal(scratch)
    kept = journal.outcomes() if resume else {}
    chosen, skipped = choose_students(graded, assignment, submissions, students, force,
                                      pattern, resumed=set(kept))
    run = GradeRun(assignment, graded, skipped=tuple(skipped))
    if chosen:
        todo = [s for s in chosen if s not in kept]
        outcomes = [kept[s] for s in chosen if s in kept]
        if todo:
            preload = kernel_preload(graded, assignment, isolate) \
                if uses_zygotes(executor, workers, len(todo)) else ()
            with worker_pool(executor, workers, len(todo), preload, quick) as (pool, run.workers):
                with database.lock(graded.db_url, graded.course_id, assignment):
                    define(graded, assignment, scratch)
                template = make_template(graded, assignment, scratch)
                run.limits = limits or measure_limits(
                    graded, assignment, scratch, template, pool, quick=quick,
                    isolate=isolate, limits=JobLimits(memory=memory, cell_timeout=cell_timeout),
                    preload=preload)
                jobs = make_jobs(graded, assignment, todo, scratch, template, run.limits,
                                 isolate=isolate, quick=quick, submissions=submissions,
                                 preload=preload)
                shown = Progress(len(jobs)) if progress else None

                def done(outcome: GradeOutcome) -> None:
                    journal.record(outcome)  # on disk before anything is merged
                    if shown:
                        shown(outcome)

                graded_now, run.tampered = grade_watched(graded, jobs, pool, scratch,
                                                         submissions, done)
            for outcome in graded_now:  # a timeout's second try replaces its first
                journal.record(outcome)
            outcomes += graded_now
        run.outcomes = sorted(outcomes, key=lambda o: o.student)
        merge_all(run.outcomes, graded, journal)
    run.files = write_reports(graded, assignment, run.outcomes)
    if not keep_work:
        shutil.rmtree(scratch, ignore_errors=True)
    run.seconds = time.perf_counter() - start
    return run


class InProcess(Executor):
    """Runs each job right here when it is submitted: one student at a time needs no pool."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def pool_size(workers: int, jobs: int) -> int:
    """How many jobs run at once: `workers` (0: one per core), never more than there are."""
    return min(workers or os.cpu_count() or 1, jobs)


def uses_zygotes(executor: Executor | None, workers: int, jobs: int) -> bool:
    """Whether each worker keeps a zygote for the kernels (`zygote`): its start is in the way of
    the worker's first job, so only where every worker has `zygote.JOBS_PER_WORKER` jobs or more
    (one job at a time in this process: never)."""
    n = pool_size(workers, jobs)
    return (executor is not None or n > 1) and jobs >= zygote.JOBS_PER_WORKER * n


def kernel_preload(course: GradingCourse, assignment: str, isolate: bool) -> tuple[str, ...]:
    """What zygotes import for the assignment's kernels (`zygote.preloads`); () where none is
    worth starting (`zygote.worth_starting`), or kernels are not sandboxed (none is forked)."""
    preload = zygote.preloads(course, assignment) if isolate else ()
    return preload if zygote.worth_starting(preload) else ()


@contextlib.contextmanager
def worker_pool(executor: Executor | None, workers: int, jobs: int,
                preload: tuple[str, ...] = (), quick: bool = True):
    """(executor, how many run at once): the one given; for one at a time, this process; else a
    process pool started right away, so its workers start their zygotes (with `preload`; else
    load nbgrader) while the parent defines the assignment."""
    n = pool_size(workers, jobs)
    if executor is not None or n == 1:
        yield executor or InProcess(), n
        return
    from autograder.grading.workers import warm_up

    pool = ProcessPoolExecutor(max_workers=n, initializer=warm_up, initargs=(preload, quick))
    for _ in range(n):
        pool.submit(int)  # each submit to a busy pool starts one more worker
    try:
        yield pool, n
    finally:
        pool.shutdown(cancel_futures=True)


def open_course(course: Path, out: Path | None, db_url: str | None) -> GradingCourse:
    """The course, and its gradebook's server answering now (else nothing is written)."""
    graded = GradingCourse.open(course, out, db_url)
    if graded.db_file is None:
        database.check(graded.db_url)
    return graded


def fresh_scratch(course: GradingCourse, assignment: str, keep: bool = False) -> Path:
    """out/.autograder/ASSIGNMENT, empty (unless `keep`: a resumed run's); where the output is
    another folder, it becomes an nbgrader course of its own (its config file loads the
    course's)."""
    course.out.mkdir(parents=True, exist_ok=True)
    if course.out != course.root:
        write_config_file(course)
    scratch = course.out / SCRATCH / assignment
    if scratch.exists() and not keep:
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    return scratch


def define(course: GradingCourse, assignment: str, scratch: Path) -> None:
    """The assignment in the gradebook. In the course itself, only where it is missing (stock
    autograde uses the gradebook's definition as it is); in another folder, always generated
    from the source, so grading follows the source as it is now. A database server's new
    database gets nbgrader's tables first."""
    if course.db_file is None:
        gradebook.new_server_gradebook(course.db_url)
    missing = course.db_file is not None and not course.db_file.exists()
    if course.out != course.root or missing or not gradebook.has_assignment(
            course.db_url, course.course_id, assignment):
        define_assignment(course, assignment, scratch / "release")


def choose_students(course: GradingCourse, assignment: str, submissions: Path | None,
                    wanted: tuple[str, ...], force: bool, pattern: str | None,
                    resumed: set[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Who is graded, and who is not and why. Imported submissions are always graded; in the
    course, as stock autograde: those not autograded yet, or submitted again since (a newer
    timestamp.txt), or all of them with `force`; and those a resumed run graded already."""
    skipped: list[str] = []
    if submissions is not None:
        imported = intake.import_submissions(Path(submissions), assignment, course, pattern)
        if not imported.students:
            raise intake.IntakeError(f"{submissions}: no submissions of {assignment} found "
                                     f"({'; '.join(imported.skipped) or 'empty'})")
        excluded = [s for s in imported.students if s in course.excluded]
        found = [s for s in imported.students
                 if (not wanted or s in wanted) and s not in excluded]
        skipped = list(imported.skipped)
        force = True
    else:
        excluded = [s for s in wanted if s in course.excluded]
        found = submitted_students(course, assignment, wanted)
        if not found:
            who = f" from {', '.join(wanted)}" if wanted else ""
            raise intake.IntakeError(
                f"no submission of {assignment}{who} in "
                f"{course.folder('submitted_directory')} (nbgrader's submitted/STUDENT/"
                f"{assignment}/*.ipynb)")
    # One reason each: a student asked for by name but excluded is not also "missing".
    skipped += [f"{s}: excluded (CourseDirectory.student_id_exclude)" for s in excluded]
    skipped += [f"{s}: no submission of {assignment}" for s in wanted
                if s not in found and s not in excluded]
    chosen = [s for s in found
              if force or s in resumed or needs_grading(course, assignment, s)]
    skipped += [f"{s}: already autograded (give --force to grade it again)"
                for s in found if s not in chosen]
    return chosen, skipped


def needs_grading(course: GradingCourse, assignment: str, student: str) -> bool:
    """nbgrader's own rule (BaseConverter.init_destination): not autograded yet, or
    submitted again since."""
    dest = course.path("autograded_directory", student, assignment)
    if not dest.exists():
        return True
    coursedir = course.coursedir(assignment)
    new = coursedir.get_existing_timestamp(
        str(course.path("submitted_directory", student, assignment)))
    old = coursedir.get_existing_timestamp(str(dest))
    return new is not None and old is not None and new > old


def make_template(course: GradingCourse, assignment: str, scratch: Path) -> Path:
    """A gradebook with the assignment's definition alone, which every job copies."""
    template = scratch / "template.db"
    gradebook.new_gradebook(template)
    gradebook.copy_definition(course.db_url, gradebook.sqlite_url(template), course.course_id,
                              assignment)
    return template


def hidden_paths(course: GradingCourse, submissions: Path | None) -> tuple[str, ...]:
    """What student code must not see: the source (hidden tests), every submission and
    result, the gradebooks, the other jobs; the whole output folder when it is not the course."""
    paths = [course.out / SCRATCH, course.folder("source_directory"),
             *(course.folder(step) for step in ("submitted_directory",
                                                "autograded_directory",
                                                "feedback_directory")),
             course.root / "gradebook.db", course.db_file, submissions]
    if course.out != course.root:
        paths.append(course.out)
    return tuple(dict.fromkeys(str(Path(p).absolute()) for p in paths if p is not None))


def make_job(course: GradingCourse, assignment: str, student: str, scratch: Path,
             template: Path, limits: JobLimits, *, isolate: bool, quick: bool,
             submissions: Path | None, submission: Path | None = None,
             preload: tuple[str, ...] = ()) -> GradeJob:
    return GradeJob(
        assignment=assignment, student=student,
        submission=str(submission or course.path("submitted_directory", student, assignment)),
        work=str(scratch / "jobs" / student), template_db=str(template),
        course_root=str(course.root), course_id=course.course_id, limits=limits,
        isolate=isolate, quick=quick, hide=hidden_paths(course, submissions),
        out=str(course.out), preload=preload)


def make_jobs(course: GradingCourse, assignment: str, students: list[str], scratch: Path,
              template: Path, limits: JobLimits, *, isolate: bool, quick: bool,
              submissions: Path | None, preload: tuple[str, ...] = ()) -> list[GradeJob]:
    """One job per student, each with the student's earlier state in the gradebook."""
    states = gradebook.student_states(course.db_url, course.course_id, assignment, students)
    return [dataclasses.replace(
        make_job(course, assignment, student, scratch, template, limits, isolate=isolate,
                 quick=quick, submissions=submissions, preload=preload), prior=states[student])
            for student in students]


def measure_solution(assignment: str, *, course: Path = ROOT, out: Path | None = None,
                     quick: bool = True, isolate: bool = True, again: bool = False,
                     memory: int = DEFAULT_MEMORY, cell_timeout: int | None = None,
                     db_url: str | None = None) -> JobLimits:
    """Measure the solution now (or take the cached measurement; `again` measures anew) and
    return the limits submissions would get: what `autograder grade --measure` prints, so the
    first submission of a grade-on-submit service does not wait for it."""
    os.environ.update(venv_environment())
    graded = open_course(course, out, db_url)
    scratch = fresh_scratch(graded, assignment)
    try:
        with database.lock(graded.db_url, graded.course_id, assignment):
            define(graded, assignment, scratch)
        if again:
            reference.forget(reference.key(graded, assignment, quick))
        return measure_limits(graded, assignment, scratch,
                              make_template(graded, assignment, scratch), InProcess(),
                              quick=quick, isolate=isolate,
                              limits=JobLimits(memory=memory, cell_timeout=cell_timeout))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_limits(course: GradingCourse, assignment: str, scratch: Path, template: Path,
                   executor: Executor, *, quick: bool, isolate: bool,
                   limits: JobLimits, preload: tuple[str, ...] = ()) -> JobLimits:
    """`limits` with the time limits of `JobLimits.from_reference`: the solution graded like a
    submission (once per version of the assignment: the result is cached)."""
    key = reference.key(course, assignment, quick)
    measured = reference.cached(key)
    if measured is None:
        folder = reference.solution_submission(course, assignment, scratch / "solution")
        job = make_job(course, assignment, reference.STUDENT, scratch, template,
                       JobLimits(memory=limits.memory, cell_timeout=limits.cell_timeout),
                       isolate=isolate, quick=quick, submissions=None, submission=folder,
                       preload=preload)
        solution = next(run_jobs([job], executor))
        if solution.status != GradeStatus.GRADED:
            return dataclasses.replace(
                limits, cpu_seconds=FALLBACK_SECONDS, wall_seconds=FALLBACK_SECONDS,
                basis=f"the solution could not be graded ({solution.reason})")
        measured = reference.Reference(cpu_seconds=solution.cpu_seconds,
                                       wall_seconds=solution.seconds,
                                       execute_seconds=solution.execute_seconds)
        reference.store(key, measured)
    return JobLimits.from_reference(measured.cpu_seconds, measured.wall_seconds,
                                    cell_timeout=limits.cell_timeout, memory=limits.memory,
                                    file_size=limits.file_size)


def grade_all(jobs: list[GradeJob], executor: Executor,
              on_done: Callable[[GradeOutcome], None] | None) -> list[GradeOutcome]:
    """Every job in parallel; then each one stopped at a time limit once more, alone, so its
    verdict does not depend on what else the machine was doing."""
    outcomes = {o.student: o for o in run_jobs(jobs, executor, on_done)}
    for job in jobs:
        if outcomes[job.student].timed_out:
            again = next(run_jobs([job], executor))
            outcomes[job.student] = dataclasses.replace(again, attempts=2)
    return sorted(outcomes.values(), key=lambda o: o.student)


def grade_watched(course: GradingCourse, jobs: list[GradeJob], executor: Executor,
                  scratch: Path, submissions: Path | None,
                  on_done: Callable[[GradeOutcome], None] | None
                  ) -> tuple[list[GradeOutcome], list[str]]:
    """Every job (`grade_all`), with the tripwire: what changed among the files no job may
    touch. The sandbox should make it impossible; where a change happened anyway, the
    gradebook is restored before anything is merged."""
    protected = protected_paths(course, jobs[0].assignment, [j.student for j in jobs],
                                submissions)
    before = integrity.Fingerprint.of(protected, skip=SKIP_FINGERPRINT)
    backup = back_up_gradebook(course, scratch)
    outcomes = grade_all(jobs, executor, on_done)
    tampered = before.changes(integrity.Fingerprint.of(protected, skip=SKIP_FINGERPRINT))
    if tampered and backup is not None:
        shutil.copyfile(backup, course.db_file)
    return outcomes, tampered


def protected_paths(course: GradingCourse, assignment: str, students: list[str],
                    submissions: Path | None) -> list[Path]:
    """What no job may change: the gradebook, the graded submissions, source and release."""
    paths = [course.path("submitted_directory", s, assignment) for s in students]
    paths += [course.path(step, ".", assignment)
              for step in ("source_directory", "release_directory")]
    paths += [p for p in (course.db_file, submissions, course.root / "gradebook.db")
              if p is not None]
    return paths


def back_up_gradebook(course: GradingCourse, scratch: Path) -> Path | None:
    db = course.db_file
    if db is None or not db.exists():
        return None
    shutil.copyfile(db, scratch / "gradebook.backup.db")
    return scratch / "gradebook.backup.db"


def merge_all(outcomes: list[GradeOutcome], course: GradingCourse, journal: Journal) -> None:
    """Merge, in submission order, what the journal has not marked as merged, holding the
    assignment's write lock (`database.lock`: one grade run at a time writes it). A gradebook
    that stops answering ends the run with one line; every outcome stays in the journal for
    `resume`."""
    left = [o for o in outcomes if not journal.merged(o.student)]
    if not left:
        return
    try:
        with database.lock(course.db_url, course.course_id, left[0].assignment):
            merge(left, course, lambda o: journal.mark_merged(o.student))
    except Exception:
        try:
            database.check(course.db_url)
        except database.GradebookUnavailable as down:
            done = sum(journal.merged(o.student) for o in left)
            raise database.GradebookUnavailable(
                f"{down}; stopped after merging {done} of {len(left)} outcomes. All "
                f"{len(outcomes)} are kept in {journal.folder}: run the same command with "
                "--resume to merge the rest without grading anyone again") from None
        raise


def write_reports(course: GradingCourse, assignment: str,
                  outcomes: list[GradeOutcome]) -> dict[str, Path]:
    """nbgrader's grades.csv, our per-cell and per-submission CSVs, in the output folder."""
    with course.running():
        exported = report.export_grades(course, course.out / "grades.csv")
    return {
        "grades": exported,
        "cells": report.write_cells(outcomes, course.out / f"{assignment}-cells.csv"),
        "outcomes": report.write_outcomes(outcomes, course.out / f"{assignment}-outcomes.csv"),
        "feedback": course.folder("feedback_directory"),
        **classreport.write_report(course, assignment),
    }
