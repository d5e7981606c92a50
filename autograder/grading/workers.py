"""Grade submissions in parallel: one pure job function, any concurrent.futures executor.

`grade_submission(job) -> GradeOutcome` grades one student in a working copy of its own
(`job.work`): a copy of a gradebook that holds only the assignment's definition and the
student's earlier state, and the submission. It starts `autograder.grading.runner` in a new
session and watches it: it adds up the CPU time of the runner's whole process tree and stops
it at `job.limits.cpu_seconds`, or once it has spent `job.limits.wall_seconds` of wall clock
waiting (a sleep, a deadlock: time a busy machine makes it wait while it computes does not
count), killing every process it started. It never raises for a submission's fault: every
outcome, even a crash of the grading process, is a GradeOutcome with a reason. It writes
nothing outside `job.work`.

Because each job has its own gradebook, workers never share a database: the parent merges the
outcomes into the course's gradebook afterwards, one at a time (`merge.py`). That is why a run
with N workers gives the same grades as a sequential one, and why any Executor fits:
`run_jobs(jobs, ProcessPoolExecutor(n))` here, or a Dask `Client.get_executor()` for a class
too large for one machine (with the course on a filesystem every node shares).
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.common.isolation import kill_group
from autograder.common.paths import venv_environment
from autograder.common.text import error_line, last_line
from autograder.course.measure import QUICK_VARIABLE
from autograder.grading import gradebook
from autograder.grading import outcome as oc
from autograder.grading.course import DEFAULT_COURSE_ID
from autograder.grading.limits import JobLimits
from autograder.grading.outcome import CellResult, GradeOutcome, GradeStatus
from autograder.grading.runner import (
    EXECUTE_TIMES,
    KERNEL_REPORT,
    NOTES,
    PATHS,
    PROGRESS,
    RESULT,
)
from autograder.grading.sandbox import Isolation
from autograder.grading.timed import read_timings
from autograder.grading.usage import Meter

POLL_SECONDS = 0.5  # how often the worker adds up a running job's CPU time
CPU_LIMIT, IDLE_LIMIT = "CPU time", "idle wall-clock"  # what a timeout says it was stopped at


@dataclass(frozen=True, kw_only=True)
class GradeJob:
    """Everything one submission's grading needs; plain data, so it pickles to any worker."""

    assignment: str
    student: str
    submission: str  # the student's submitted folder (submitted/STUDENT/ASSIGNMENT)
    work: str  # this job's scratch folder; emptied first
    template_db: str  # gradebook holding only the assignment's definition
    course_root: str  # the course: its nbgrader_config.py, source, and working directory
    course_id: str = DEFAULT_COURSE_ID
    limits: JobLimits = field(default_factory=JobLimits)
    prior: gradebook.StudentState = field(default_factory=gradebook.StudentState)
    isolate: bool = True
    quick: bool = True  # AUTOGRADER_QUICK=1 for the kernel
    hide: tuple[str, ...] = ()  # paths student code must not see
    out: str = ""  # the graded course's folder, where the feedback pages end up
    # what a zygote imports for this assignment's kernels (`zygote.preloads`); () for none
    preload: tuple[str, ...] = ()


def runner_environment(quick: bool) -> dict[str, str]:
    """The runner and its kernel use this interpreter's environment (tools on PATH), with
    AUTOGRADER_QUICK=1 in quick mode and unset otherwise."""
    env = venv_environment()
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop(QUICK_VARIABLE, None)
    if quick:
        env[QUICK_VARIABLE] = "1"
    return env


def warm_up(preload: tuple[str, ...], quick: bool) -> None:
    """A pool worker's start: its zygote, importing in the background (`zygote`), or else
    nbgrader's imports, for the runners it forks itself."""
    if preload:
        from autograder.grading import zygote

        zygote.current(preload, runner_environment(quick))
    else:
        from autograder.grading import runner

        runner.warm_up()


def kill_tree(pid: int, reap: Callable[[], object]) -> None:
    """SIGKILL the runner's session and every descendant (the kernel has a session of its own).

    Inside a PID namespace killing the runner's init ends everything; outside one, the runner
    is a child subreaper, so even a student's double-forked daemon is among its descendants.
    """
    import psutil

    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    kill_group(pid)
    for child in descendants:
        try:
            child.kill()
        except psutil.Error:
            pass
    reap()


def can_fork(memory_limit: int) -> bool:
    """Whether a runner may be forked from this process: it must be single-threaded (a
    ProcessPoolExecutor worker is; Dask's are not), and small, since a fork inherits its
    parent's address space and the runner's RLIMIT_AS counts it (a process that imported torch
    has used a 1 GiB limit up before it starts)."""
    import psutil

    return (threading.active_count() == 1
            and psutil.Process().memory_info().vms < memory_limit // 4)


def start_runner(spec: Path, log: Path, memory_limit: int, env: dict[str, str],
                 preload: tuple[str, ...] = ()
                 ) -> tuple[int, Callable[[float | None], int | None]]:
    """Start the runner in a new session; returns its pid and wait(timeout) -> exit code or None.

    With `preload`, forked from this worker's zygote (`zygote`), so its kernels start with
    those imports done, unless the zygote alone takes half the memory limit. Otherwise forked
    from this process where that is safe (`can_fork`): nbgrader is then imported once per
    worker instead of once per submission, which was most of a submission's overhead.
    Elsewhere it starts a fresh interpreter.
    """
    if preload:
        from autograder.grading import zygote

        try:
            warm = zygote.current(preload, env)
            if warm.size() < memory_limit // 2:
                return warm.start_runner(spec, log, env)
        except zygote.ZygoteGone:
            zygote.forget()  # this job starts the usual way; the next one, a new zygote
    if can_fork(memory_limit):
        from autograder.grading import runner

        runner.warm_up()
        proc = multiprocessing.get_context("fork").Process(
            target=runner.forked, args=(str(spec), str(log), env), name="grading-runner")
        proc.start()

        def wait_forked(timeout: float | None) -> int | None:
            proc.join(timeout)
            return proc.exitcode

        return proc.pid, wait_forked
    with open(log, "wb") as out:
        popen = subprocess.Popen([sys.executable, "-m", "autograder.grading.runner", str(spec)],
                                 cwd=spec.parent, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def wait_spawned(timeout: float | None) -> int | None:
        try:
            return popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    return popen.pid, wait_spawned


@dataclass(frozen=True, kw_only=True)
class Ending:
    """How the runner ended: its exit code, or the limit it was stopped at."""

    code: int | None
    limit: str = ""  # CPU_LIMIT or IDLE_LIMIT when stopped
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


def supervise(pid: int, wait: Callable[[float | None], int | None],
              limits: JobLimits) -> Ending:
    """Wait for the runner, stopping it at its CPU-time limit, or at its wall-clock limit
    counted while it waits (`usage.Meter.idle`)."""
    meter = Meter(pid, from_zero=True)
    while True:
        code = wait(POLL_SECONDS)
        meter.sample()
        if code is not None:
            return Ending(code=code, cpu_seconds=meter.cpu, wall_seconds=meter.wall)
        for limit, used, allowed in ((CPU_LIMIT, meter.cpu, limits.cpu_seconds),
                                     (IDLE_LIMIT, meter.idle, limits.wall_seconds)):
            if used > allowed:
                return Ending(code=None, limit=limit, cpu_seconds=meter.cpu,
                              wall_seconds=meter.wall)


def run_runner(job: GradeJob, work: Path, kernels: int = 1
               ) -> tuple[GradeStatus | None, str, Ending]:
    """Start the runner and watch it. Returns (status, detail) for anything but a normal end.
    `kernels`: how many the job starts (one per notebook), for the runner to pre-fork."""
    spec = {**asdict(job), "work": str(work), "kernels": kernels}
    (work / "spec.json").write_text(json.dumps(spec, indent=1))
    pid, wait = start_runner(work / "spec.json", work / "runner.log", job.limits.memory,
                             runner_environment(job.quick), job.preload)
    ending = supervise(pid, wait, job.limits)
    # whatever it left behind (a no-op inside a PID namespace), or all of it at a limit
    kill_tree(pid, lambda: wait(None))
    if ending.limit:
        allowed = job.limits.cpu_seconds if ending.limit == CPU_LIMIT else \
            job.limits.wall_seconds
        return GradeStatus.TIMEOUT, oc.timeout_detail(
            ending.limit, allowed, ending.cpu_seconds, ending.wall_seconds,
            oc.where_it_stopped(work / PROGRESS)), ending
    code = ending.code
    if code < 0 or code >= 128:
        number = -code if code < 0 else code - 128
        return GradeStatus.KILLED, \
            f"the grading process was killed ({signal.Signals(number).name})", ending
    if not (work / RESULT).exists():
        log = (work / "runner.log").read_text(errors="replace")
        return GradeStatus.KILLED, \
            f"the grading process exited ({code}) without a result: {last_line(log)}", ending
    return None, "", ending


def judge(result: dict, feedback_folder: Path | None,
          notebooks: list[str]) -> tuple[GradeStatus, str]:
    """Graded only when nbgrader autograded it and wrote feedback for every notebook."""
    graded, feedback = result.get("autograde", {}), result.get("feedback", {})
    if not graded.get("success"):
        return GradeStatus.ERROR, "nbgrader could not grade it: " + \
            (graded.get("error") or "no error message")
    if not feedback.get("success"):
        return GradeStatus.ERROR, "nbgrader graded it, but its feedback failed: " + \
            (feedback.get("error") or "no error message")
    missing = [nb for nb in notebooks
               if feedback_folder is None or not (feedback_folder / f"{nb}.html").is_file()]
    if missing:
        return GradeStatus.ERROR, f"no feedback was written for {', '.join(missing)}"
    return GradeStatus.GRADED, ""


def grade_submission(job: GradeJob) -> GradeOutcome:
    """Grade one submission in its own working copy. Never raises for the submission's fault."""
    start = time.perf_counter()
    try:
        return _grade(job, start)
    except Exception as exc:  # our own failure still gives this student a reason
        return GradeOutcome(assignment=job.assignment, student=job.student,
                            status=GradeStatus.ERROR, score=0.0, max_score=0.0,
                            reason=f"grading failed: {error_line(exc)}",
                            seconds=time.perf_counter() - start, work=job.work)


def _grade(job: GradeJob, start: float) -> GradeOutcome:
    work = Path(job.work)
    if work.exists():
        shutil.rmtree(work)
    (work / "course").mkdir(parents=True)
    template = gradebook.sqlite_url(Path(job.template_db))
    definition = gradebook.definition(template, job.course_id, job.assignment)

    status, detail, ending = run_runner(job, work, len(definition.notebooks))
    result = _read_json(work / RESULT)
    paths = {k: Path(v) for k, v in _read_json(work / PATHS).items()}
    notes = list(_read_json(work / NOTES) or [])
    autograded = [nb for nb in definition.notebooks
                  if "autograded" in paths and (paths["autograded"] / f"{nb}.ipynb").is_file()]
    if status is None:
        status, detail = judge(result, paths.get("feedback"), autograded)
    graded = status == GradeStatus.GRADED

    messages, limited, stopped = read_autograded(
        paths.get("autograded"), autograded if graded else [], job.limits.memory,
        result.get("cell_timeout"))
    notes += limited
    found = gradebook.recorded(gradebook.sqlite_url(work / "course" / "gradebook.db"),
                               job.course_id, job.assignment, job.student) if graded else None
    cells = tuple(_cell(cell, found, messages, status) for cell in definition.cells)
    penalties = _penalties(found, cells) if found else ()
    late = sum(p or 0.0 for _, p in penalties)
    return GradeOutcome(
        assignment=job.assignment, student=job.student, status=status,
        score=max(sum(c.score for c in cells) - late, 0.0),
        max_score=sum(c.max_score for c in cells),
        reason=oc.summarize(status, cells, notes, detail, late),
        cells=cells, comments=found.comments if found else (), penalties=penalties,
        notes=tuple(notes), stopped_cells=tuple(stopped),
        isolation=read_isolation(work, job.isolate),
        timestamp=found.timestamp if found else submitted_timestamp(job),
        seconds=time.perf_counter() - start, execute_seconds=read_timings(work / EXECUTE_TIMES),
        cpu_seconds=float(result.get("cpu_seconds") or ending.cpu_seconds),
        autograded=str(paths.get("autograded", "")), feedback=str(paths.get("feedback", "")),
        work=job.work)


def read_autograded(folder: Path | None, notebooks: list[str], memory: int,
                    cell_timeout: float | None) -> tuple[dict, list[str], list[str]]:
    """From the autograded notebooks: why each grade cell failed, a note for each cell that hit
    a limit, and the cells stopped at the per-cell time limit."""
    messages, notes, stopped = {}, [], []
    for nb in notebooks:
        done = oc.read_notebook(folder / f"{nb}.ipynb")
        messages.update({(nb, k): v for k, v in oc.output_messages(done).items()})
        for cell, kind in oc.limit_hits(done):
            notes.append(oc.limit_note(cell, kind, memory, cell_timeout))
            stopped += [cell] if kind == "time" else []
    return messages, notes, stopped


def _cell(cell: gradebook.Cell, found: gradebook.Recorded | None, messages: dict,
          status: GradeStatus) -> CellResult:
    """One cell's result; its score never outside [0, max] (the job's gradebook is not trusted)
    and counted as nbgrader counts it: a manual score replaces the automatic one."""
    if found is None:
        return CellResult(notebook=cell.notebook, grade_id=cell.name, score=0.0,
                          max_score=cell.max_score, task=cell.task, graded=False,
                          message=f"not graded: {status}")
    auto, manual, extra, needs = found.grades.get((cell.notebook, cell.name),
                                                  (None, None, None, True))
    counted = (manual if manual is not None else auto or 0.0) + (extra or 0.0)
    return CellResult(notebook=cell.notebook, grade_id=cell.name,
                      score=min(max(counted, 0.0), cell.max_score), max_score=cell.max_score,
                      auto_score=None if auto is None else min(max(auto, 0.0), cell.max_score),
                      needs_manual_grade=needs, task=cell.task,
                      message=messages.get((cell.notebook, cell.name), ""))


def _penalties(found: gradebook.Recorded, cells: tuple[CellResult, ...]):
    """Late penalties per notebook, never more than the notebook's score (as nbgrader clamps)."""
    earned = {}
    for c in cells:
        earned[c.notebook] = earned.get(c.notebook, 0.0) + c.score
    return tuple((nb, None if p is None else min(max(p, 0.0), earned.get(nb, 0.0)))
                 for nb, p in found.penalties)


def read_isolation(work: Path, isolate: bool) -> Isolation:
    """What the runner's sandbox achieved, and what the kernel launcher reported."""
    fields = _read_json(work / "isolation.json") or {}
    kernel = _read_json(work / KERNEL_REPORT)
    if kernel:
        fields.update(files=str(kernel.get("files")),
                      files_hidden=kernel.get("files_hidden") is True)
    elif isolate:
        fields["files"] = "not hidden (no kernel started)"
    return Isolation(**fields)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def submitted_timestamp(job: GradeJob) -> str | None:
    """The submission's timestamp.txt as nbgrader reads it, else the gradebook's earlier one."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc((Path(job.submission) / "timestamp.txt").read_text().strip()).isoformat()
    except (OSError, ValueError):
        return job.prior.timestamp


def run_jobs(jobs: Iterable[GradeJob], executor: Executor,
             on_done: Callable[[GradeOutcome], None] | None = None) -> Iterator[GradeOutcome]:
    """Submit every job, yield outcomes as they finish (call on_done for a progress bar).

    A job that fails inside the executor itself (a worker process killed, a lost Dask
    worker) still yields an outcome with a reason.
    """
    futures = {executor.submit(grade_submission, job): job for job in jobs}
    for future in as_completed(futures):
        job = futures[future]
        try:
            result = future.result()
        except Exception as exc:
            result = GradeOutcome(assignment=job.assignment, student=job.student,
                                  status=GradeStatus.KILLED, score=0.0, max_score=0.0,
                                  reason=f"the worker running it failed: {error_line(exc)}",
                                  work=job.work)
        if on_done:
            on_done(result)
        yield result
