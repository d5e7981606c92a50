"""Grade submissions in parallel: one pure job function, any concurrent.futures executor.

`grade_submission(job) -> GradeOutcome` grades one student in a working copy of its own
(`job.work`): the submission, and a copy of a gradebook that holds only the assignment's
definition. It starts `autograder.grading.runner` in a new session, waits at most
`job.limits.timeout` seconds, and kills the whole process tree if it must. It never raises
for a submission's fault: every outcome, even a crash of the grading process, is a
GradeOutcome with a reason. It writes nothing outside `job.work`.

Because each job has its own gradebook, workers never share a SQLite file: the parent merges
the outcomes into the main gradebook afterwards, one at a time (`merge.py`). That is why a run
with N workers gives the same grades as a sequential one, and why any Executor fits:
`run_jobs(jobs, ProcessPoolExecutor(n))` here, or a Dask `Client.get_executor()` for a class
too large for one machine (with `out` on a filesystem every node shares).
"""

from __future__ import annotations

import json
import multiprocessing
import os
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

from autograder.grading import outcome as oc
from autograder.grading.limits import Limits
from autograder.grading.outcome import GradeOutcome
from autograder.grading.runner import EXECUTE_TIMES
from autograder.grading.sandbox import Isolation
from autograder.grading.timed import read_timings

COURSE_ID_DEFAULT = "default_course"


@dataclass(frozen=True)
class GradeJob:
    """Everything one submission's grading needs; plain data, so it pickles to any worker."""

    assignment: str
    student: str
    submission: str  # folder holding the student's notebooks (out/submitted/STUDENT/ASSIGNMENT)
    work: str  # this job's scratch folder; emptied first
    template_db: str  # gradebook holding only the assignment's definition
    release: str  # the released (student) version's folder, to spot edited locked cells
    out: str  # the output course folder: hidden from student code
    course_root: str  # the course repository (its nbgrader_config.py)
    course_id: str = COURSE_ID_DEFAULT
    limits: Limits = field(default_factory=Limits)
    isolate: bool = True
    hide: tuple[str, ...] = ()  # more paths student code must not see


def prepare(job: GradeJob) -> Path:
    """The working copy: course/gradebook.db (template) and course/submitted/STUDENT/ASSIGNMENT."""
    work = Path(job.work)
    if work.exists():
        shutil.rmtree(work)
    course = work / "course"
    (course / "submitted" / job.student).mkdir(parents=True)
    shutil.copyfile(job.template_db, course / "gradebook.db")
    shutil.copytree(job.submission, course / "submitted" / job.student / job.assignment,
                    symlinks=True)
    return work


def runner_environment() -> dict[str, str]:
    """The runner and its kernel use this interpreter's environment (tools on PATH)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


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
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
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


def start_runner(spec: Path, log: Path, memory_limit: int
                 ) -> tuple[int, Callable[[float | None], int | None]]:
    """Start the runner in a new session; returns its pid and wait(timeout) -> exit code or None.

    Forked from this process where that is safe (`can_fork`): nbgrader is then imported once
    per worker instead of once per submission, which was most of a submission's overhead.
    Elsewhere it starts a fresh interpreter.
    """
    env = runner_environment()
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


def run_runner(job: GradeJob, work: Path) -> tuple[str, str]:
    """Start the runner and wait for it. Returns (status, detail) for anything but success."""
    spec = {**asdict(job), "work": str(work), "hide": [job.out, *job.hide]}
    (work / "spec.json").write_text(json.dumps(spec, indent=1))
    pid, wait = start_runner(work / "spec.json", work / "runner.log", job.limits.memory)
    code = wait(job.limits.timeout)
    # whatever it left behind (a no-op inside a PID namespace), or all of it at the time limit
    kill_tree(pid, lambda: wait(None))
    if code is None:
        return "timeout", (f"killed at the {job.limits.timeout:g} s time limit "
                           f"{oc.where_it_stopped(work / 'progress.json')}")
    if code < 0 or code >= 128:
        number = -code if code < 0 else code - 128
        return "killed", f"the grading process was killed ({signal.Signals(number).name})"
    if not (work / "result.json").exists():
        return "killed", f"the grading process exited ({code}) without a result: " \
                         f"{oc.last_line((work / 'runner.log').read_text(errors='replace'))}"
    return "ok", ""


def definition(db: Path, assignment: str, course_id: str):
    """[(notebook, grade cell, max score)] and the notebook names, from a gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}", course_id) as gb:
        found = gb.find_assignment(assignment)
        cells = [(nb.name, cell.name, float(cell.max_score))
                 for nb in found.notebooks for cell in nb.grade_cells]
        return cells, [nb.name for nb in found.notebooks]


def submission_scores(db: Path, job: GradeJob):
    """Scores, comments and timestamp nbgrader saved for this student, if it got that far."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{db}", job.course_id) as gb:
        try:
            sub = gb.find_submission(job.assignment, job.student)
        except MissingEntry:
            return {}, (), None
        scores = {(nb.name, g.name): (g.auto_score, bool(g.needs_manual_grade))
                  for nb in sub.notebooks for g in nb.grades}
        comments = tuple((nb.name, c.name, c.auto_comment)
                         for nb in sub.notebooks for c in nb.comments)
        stamp = sub.timestamp.isoformat() if sub.timestamp else None
        return scores, comments, stamp


def grade_submission(job: GradeJob) -> GradeOutcome:
    """Grade one submission in its own working copy. Never raises for the submission's fault."""
    start = time.perf_counter()
    try:
        return _grade(job, start)
    except Exception as exc:  # our own failure still gives this student a reason
        return GradeOutcome(job.assignment, job.student, "error", 0.0, 0.0,
                               f"grading failed: {type(exc).__name__}: {exc}",
                               seconds=time.perf_counter() - start, work=job.work)


def _grade(job: GradeJob, start: float) -> GradeOutcome:
    work = prepare(job)
    course = work / "course"
    cells_def, notebooks = definition(course / "gradebook.db", job.assignment, job.course_id)
    submitted = course / "submitted" / job.student / job.assignment
    missing = [nb for nb in notebooks if not (submitted / f"{nb}.ipynb").is_file()]

    status, detail = run_runner(job, work)
    result = _read_json(work / "result.json")
    isolation = read_isolation(work, job.isolate)
    if status == "ok":
        graded = result.get("autograde", {})
        status = "graded" if graded.get("success") else "error"
        if status == "error":
            detail = "nbgrader could not grade it: " + oc.last_line(
                graded.get("error") or graded.get("log") or "no error message")

    scores, comments, stamp = submission_scores(course / "gradebook.db", job)
    autograded = course / "autograded" / job.student / job.assignment
    messages, notes = {}, []
    for nb in notebooks:
        mine = oc.read_notebook(submitted / f"{nb}.ipynb")
        if nb in missing:
            notes.append(f"no {nb}.ipynb in the submission")
        elif mine is None:
            notes.append(f"{nb}.ipynb is not a readable notebook")
        notes += oc.locked_cell_changes(mine, oc.read_notebook(Path(job.release) /
                                                                f"{nb}.ipynb"))
        done = oc.read_notebook(autograded / f"{nb}.ipynb") if status == "graded" else None
        messages.update({(nb, k): v for k, v in oc.output_messages(done).items()})
        notes += oc.limit_notes(done, job.limits.memory, _cell_timeout(job))

    cells = []
    for nb, grade_id, max_score in cells_def:
        auto, manual = scores.get((nb, grade_id), (None, False))
        is_graded = status == "graded"
        score = float(auto or 0.0) if is_graded else 0.0
        message = messages.get((nb, grade_id), "") if is_graded else f"not graded: {status}"
        # never outside [0, max] of the template: the job's own gradebook is not trusted
        cells.append(oc.CellResult(nb, grade_id, min(max(score, 0.0), max_score), max_score,
                                   message, manual and is_graded))
    cells = tuple(cells)
    return GradeOutcome(
        job.assignment, job.student, status, sum(c.score for c in cells),
        sum(c.max_score for c in cells), oc.summarize(status, cells, notes, detail), cells,
        comments if status == "graded" else (), tuple(notes), isolation, stamp,
        time.perf_counter() - start, read_timings(work / EXECUTE_TIMES), job.work)


def read_isolation(work: Path, isolate: bool) -> Isolation:
    """What the runner's sandbox achieved, and what the kernel launcher reported."""
    fields = _read_json(work / "isolation.json")
    kernel = work / "files.txt"
    if kernel.exists():
        fields["files"] = kernel.read_text() or "not hidden (no report)"
    elif isolate:
        fields["files"] = "not hidden (no kernel started)"
    return Isolation(**fields)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _cell_timeout(job: GradeJob) -> int:
    from autograder.common.paths import course_config

    course_default = course_config(Path(job.course_root)).Execute.get("timeout", 30)
    return job.limits.effective_cell_timeout(course_default)


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
            result = GradeOutcome(job.assignment, job.student, "killed", 0.0, 0.0,
                                     f"the worker running it failed: {type(exc).__name__}: "
                                     f"{exc}", work=job.work)
        if on_done:
            on_done(result)
        yield result
