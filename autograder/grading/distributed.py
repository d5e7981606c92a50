"""Grade on a Dask cluster: the same job, shipped as bytes, run by the same function.

`DaskExecutor(address)` is a concurrent.futures.Executor for `workers.run_jobs`, so the
orchestrator grades on a cluster exactly as it does in its local process pool:

- **Nothing shared on disk.** The client packs what one job needs into a `Parcel`: the
  submission, the template gradebook (the assignment's definition; the student's earlier
  state travels in the job itself), the course's Python files (its nbgrader_config.py and the
  plugins beside it) and the files autograde copies from the source folder. The worker
  unpacks it into a temporary folder, runs `workers.grade_submission` there, and sends back a
  `Delivery`: the outcome and the job's autograded and feedback folders. The client unpacks
  those into the job's working folder, where the merge takes them from. Workers never see the
  gradebook.
- **The same sandbox.** A Dask worker is threaded, so the worker hands `grade_submission` to
  a single-threaded helper process of its own, which forks the runner exactly as a process
  of the local pool does (`helper_pool`): the same namespaces, limits and hidden paths, and no
  nbgrader import per submission.
- **The same environment.** The client's package versions (every pin of the course's
  requirements.txt), Python version and grader code travel with each parcel; a worker that
  differs is refused with what differs, and its jobs go to the others.
- **Lost workers.** The scheduler reruns a job whose worker died on another worker; the job
  is pure (a fresh folder each time), so the grade is the one an undisturbed run gives.

`--dask local:N` starts a LocalCluster of N one-thread workers on 127.0.0.1 for this run.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import platform
import re
import socket
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import cache, partial
from importlib import metadata
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.common.text import error_line
from autograder.grading.course import GradingCourse
from autograder.grading.outcome import GradeOutcome, GradeStatus
from autograder.grading.runner import die_with_parent, warm_up
from autograder.grading.workers import GradeJob, grade_submission

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler before giving up
WORKERS_TIMEOUT = 60.0  # seconds to wait for a first worker to join it
ATTEMPTS = 3  # workers a job may be refused by before it is reported as not graded
COURSE, SOURCE = "course", "source"  # the parcel's folders
RESULTS = ("autograded", "feedback")  # the delivery's folders
DISTRIBUTION = "serialization-course"  # this package, as pip knows it
PYTHON, CODE = "Python", "autograder code"  # what an environment holds beside packages


class SchedulerUnreachable(Exception):
    """No Dask scheduler answers at the address (one line)."""


class EnvironmentMismatch(Exception):
    """A worker's environment is not the grader's: args are (message, worker address)."""

    def __str__(self) -> str:
        return str(self.args[0])


@cache
def requirement_names() -> tuple[str, ...]:
    """The packages the grader pins (its requirements.txt): the ones a worker must match.
    Installed without its repository, the package's declared dependencies."""
    pins = ROOT / "requirements.txt"
    if not pins.is_file():
        found = metadata.requires(DISTRIBUTION) or []
        return tuple(re.split(r"[ ;<>=!~\[]", name, maxsplit=1)[0] for name in found)
    names = []
    for line in pins.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.append(line.split("==")[0].strip())
    return tuple(names)


@cache
def code_digest() -> str:
    """A digest of the grader's own code, so a worker running another version is seen."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def environment(names: Iterable[str]) -> dict[str, str]:
    """What must match between the grader and a worker: Python, each package, our code
    (`names` may be another environment's keys)."""
    found = {PYTHON: platform.python_version(), CODE: code_digest()}
    for name in names:
        if name in found:
            continue
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def differences(mine: dict[str, str], theirs: dict[str, str]) -> list[str]:
    return [f"{name} {mine[name]} here, {theirs.get(name, 'not installed')} there"
            for name in mine if theirs.get(name) != mine[name]]


# ---------------------------------------------------------------------- on the client


@dataclass(frozen=True)
class Parcel:
    """One job as it travels: the job (its paths are the client's), and its files as a tar."""

    job: GradeJob
    files: bytes
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """What comes back: the outcome, the job's autograded/ and feedback/ as a tar, and how
    long the worker spent on the whole task (unpacking and packing included)."""

    outcome: GradeOutcome
    files: bytes
    seconds: float


def _tar(entries: Iterable[tuple[Path | bytes, str]]) -> bytes:
    """A gzipped tar of (a path on disk, or bytes; its name in the archive); folders whole."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for content, name in entries:
            if isinstance(content, bytes):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(content), 0o644, time.time()
                archive.addfile(info, io.BytesIO(content))
            else:
                archive.add(content, arcname=name)
    return buffer.getvalue()


def _untar(data: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(dest, filter="data")


def source_files(job: GradeJob) -> tuple[Path, list[Path]]:
    """The assignment's source folder, and what nbgrader's autograde copies from it into
    every autograded submission (all but notebooks and the course's ignored files), found as
    autograde finds them."""
    from nbgrader.utils import find_all_files

    course = GradingCourse.open(Path(job.course_root))
    folder = course.path("source_directory", ".", job.assignment)
    ignore = [*course.coursedir().ignore, "*.ipynb"]
    return folder, [Path(p) for p in find_all_files(str(folder), ignore)] \
        if folder.is_dir() else []


def pack(job: GradeJob, env: dict[str, str]) -> Parcel:
    """The job's files: the submission, the template gradebook, and the course's Python files
    (its config, the plugins it may name), the config pointed at the source files that travel
    with it."""
    root = Path(job.course_root)
    config = root / "nbgrader_config.py"
    text = config.read_text() if config.is_file() else ""
    text += f"\nc = get_config()  # noqa: F821\nc.CourseDirectory.source_directory = {SOURCE!r}\n"
    source, extra = source_files(job)
    entries = [(Path(job.submission), "submission"), (Path(job.template_db), "template.db"),
               (text.encode(), f"{COURSE}/nbgrader_config.py")]
    entries += [(p, f"{COURSE}/{p.name}") for p in sorted(root.glob("*.py")) if p != config]
    entries += [(p, f"{COURSE}/{SOURCE}/{job.assignment}/{p.relative_to(source)}")
                for p in extra]
    return Parcel(job, _tar(entries), env)


def unpack(delivery: Delivery, job: GradeJob) -> GradeOutcome:
    """The job's autograded and feedback folders in its working folder, for the merge."""
    import shutil

    work = Path(job.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    _untar(delivery.files, work)
    found = {kind: str(work / kind) if (work / kind).is_dir() else "" for kind in RESULTS}
    return replace(delivery.outcome, work=str(work), **found)


# ---------------------------------------------------------------------- on the worker


def worker_address() -> str:
    from distributed import get_worker

    try:
        return get_worker().address
    except ValueError:  # called outside a worker (tests)
        return "this process"


def jobs_folder() -> Path:
    """Where this worker grades: in its own local directory, which Dask cleans up after a
    worker that died (a temporary folder outside a worker)."""
    from distributed import get_worker

    try:
        base = Path(get_worker().local_directory)
    except ValueError:
        base = Path(tempfile.gettempdir())
    folder = base / "autograder-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def worker_threads() -> int:
    from distributed import get_worker

    try:
        return get_worker().state.nthreads
    except ValueError:  # outside a worker
        return 1


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
# The thread that starts the helpers. A helper dies with it (PR_SET_PDEATHSIG follows the
# thread that started a process, not the process), and it lives as long as the worker.
_starter = ThreadPoolExecutor(1, thread_name_prefix="autograder-helpers")


def die_with(worker: int) -> None:
    """A helper's initializer: SIGKILL when the worker dies, or now if it already has."""
    die_with_parent()
    if os.getppid() != worker:
        os._exit(1)


def helper_pool() -> ProcessPoolExecutor:
    """Single-threaded helper processes in this Dask worker, one per worker thread.

    A Dask worker is threaded, so `grade_submission` run in it would spawn each runner as a
    fresh interpreter (`workers.can_fork`), importing nbgrader anew for every submission. Run
    in one of these, it forks the runner from a warm, single-threaded process: the same code
    path, sandbox and cost as a job in the local process pool. They are spawned (never a
    fork of the threaded worker) and die with the worker, so a worker killed mid-job leaves
    no grading behind."""
    global _pool
    with _pool_lock:
        if _pool is None:
            threads = worker_threads()
            pool = ProcessPoolExecutor(threads, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=die_with, initargs=(os.getpid(),))
            # one task per helper, submitted from the starter thread, starts them all there
            _starter.submit(lambda: [f.result() for f in
                                     [pool.submit(int) for _ in range(threads)]]).result()
            _pool = pool
        return _pool


def run_in_helper(job: GradeJob) -> GradeOutcome:
    """grade_submission(job) in a helper process; a helper that died gives an outcome.

    A worker started as a daemon process (Dask's default, `distributed.worker.daemon`) may
    not start any: there the job runs in the worker's thread and spawns its runner, the
    same sandbox at the cost of importing nbgrader for every submission."""
    global _pool
    if multiprocessing.current_process().daemon:
        return grade_submission(job)
    try:
        return helper_pool().submit(grade_submission, job).result()
    except BrokenProcessPool as exc:
        with _pool_lock:
            _pool = None  # a new one for the next job
        return GradeOutcome(assignment=job.assignment, student=job.student,
                            status=GradeStatus.KILLED, score=0.0, max_score=0.0,
                            reason=f"the grading process on the worker died: "
                                   f"{error_line(exc)}", work=job.work)


def warm_helpers() -> None:
    """Start this worker's helpers and load in them what every runner needs (nbgrader, the
    feedback templates), before its first job: it is the worker's cost, not a job's."""
    if multiprocessing.current_process().daemon:
        return
    pool = helper_pool()
    for future in [pool.submit(warm_up) for _ in range(worker_threads())]:
        future.result()


def grade_parcel(parcel: Parcel) -> Delivery:
    """Run on a worker: check the environment, grade in a temporary folder, send back."""
    start = time.perf_counter()
    job = parcel.job
    theirs = parcel.environment
    differ = differences(theirs, environment(theirs)) if theirs else []
    if differ:
        where = worker_address()
        raise EnvironmentMismatch(f"Dask worker {where} refused: its environment differs "
                                  f"from the grader's: {'; '.join(differ)}", where)
    jobs = jobs_folder()
    with tempfile.TemporaryDirectory(prefix="job-", dir=jobs,
                                     ignore_cleanup_errors=True) as tmp:
        parcel_dir, work = Path(tmp) / "parcel", Path(tmp) / "work"
        _untar(parcel.files, parcel_dir)
        # what the kernel never sees: every job on this worker, its own notebook folder aside
        here = replace(job, submission=str(parcel_dir / "submission"), work=str(work),
                       template_db=str(parcel_dir / "template.db"),
                       course_root=str(parcel_dir / COURSE), hide=(str(jobs),))
        outcome = run_in_helper(here)
        files = _tar(results(outcome, parcel_dir / COURSE))
    return Delivery(replace(outcome, work="", autograded="", feedback=""), files,
                    time.perf_counter() - start)


def results(outcome: GradeOutcome, course_root: Path) -> list[tuple[Path, str]]:
    """What a worker sends back: the feedback, and the autograded folder but for what the
    course ignores (the models a notebook saved: megabytes a job, and no grade in them)."""
    from nbgrader.utils import find_all_files

    ignore = GradingCourse.open(course_root).coursedir().ignore
    entries = []
    for kind, skip in zip(RESULTS, (ignore, []), strict=True):
        folder = getattr(outcome, kind)
        if folder and Path(folder).is_dir():
            entries += [(Path(p), f"{kind}/{Path(p).relative_to(folder)}")
                        for p in find_all_files(folder, skip)]
    return entries


# ---------------------------------------------------------------------- the executor


@dataclass(frozen=True)
class JobTiming:
    """One job as the client saw it: from handing it to Dask to its outcome unpacked."""

    student: str
    seconds: float  # the round trip, packing and unpacking included
    worker_seconds: float  # the task on the worker, its unpacking and packing included
    grading_seconds: float  # grade_submission itself (the outcome's own time)
    sent: int = 0  # bytes shipped to the worker (the parcel's files)
    received: int = 0  # bytes shipped back (autograded notebook, feedback)

    @property
    def overhead(self) -> float:
        """What Dask adds to a job: everything but grade_submission itself."""
        return self.seconds - self.grading_seconds


def connect(address: str, timeout: float = CONNECT_TIMEOUT):
    """A distributed.Client for `tcp://HOST:PORT`, or for `local:N` a new LocalCluster of N
    one-thread workers on 127.0.0.1 (closed with the client). Raises SchedulerUnreachable."""
    import dask
    from distributed import Client, LocalCluster

    from autograder.services.dask_cluster import NTHREADS, worker_config

    if address.startswith("local:"):
        try:
            n = int(address.removeprefix("local:"))
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"--dask {address}: write local:N with N workers, e.g. local:2")
        # set for good: a nanny reads it again when it restarts a worker that died
        dask.config.set(worker_config())
        cluster = LocalCluster(n_workers=n, threads_per_worker=NTHREADS, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        return Client(cluster, set_as_default=False)
    try:
        if address.startswith("tcp://"):  # refused at once, rather than retried to the timeout
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address}: "
                                   f"{error_line(exc)}") from None


class DaskExecutor(Executor):
    """Runs `grade_submission(job)` on a Dask cluster; at most `window` jobs at a time there
    (0: one per worker thread), so submissions are shipped as workers free up."""

    def __init__(self, address: str, *, window: int = 0,
                 warn: Callable[[str], None] | None = None):
        self.client = connect(address)
        self.address = address
        self.environment = environment(requirement_names())
        self.warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
        self.refused: dict[str, str] = {}
        self.timings: list[JobTiming] = []
        self._queue: deque[tuple[GradeJob, Future, int]] = deque()
        self._running: dict[str, object] = {}  # dask key -> dask future
        self._lock = threading.RLock()
        self._closed = False
        try:
            threads = self._check_workers()
        except BaseException:
            self.close()
            raise
        self.window = window or threads

    def _check_workers(self) -> int:
        """Refuse every worker whose environment differs; the threads of the others."""
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            raise SchedulerUnreachable(f"no Dask worker joined the scheduler at "
                                       f"{self.address} within {WORKERS_TIMEOUT:g} s") from None
        found = self.client.run(environment, tuple(self.environment), on_error="return")
        for worker, theirs in found.items():
            if isinstance(theirs, BaseException):
                self._refuse(worker, f"Dask worker {worker} refused: it cannot run the "
                                     f"grader: {error_line(theirs)}")
            elif differ := differences(self.environment, theirs):
                self._refuse(worker, f"Dask worker {worker} refused: its environment differs "
                                     f"from the grader's: {'; '.join(differ)}")
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        accepted = [w for w in workers if w not in self.refused]
        if not accepted:
            raise EnvironmentMismatch(f"no Dask worker at {self.address} matches this grader "
                                      f"({len(self.refused)} refused; see above)", "")
        self.client.gather([self.client.submit(warm_helpers, workers=[w], pure=False)
                            for w in accepted])
        return sum(workers[w]["nthreads"] for w in accepted)

    def _refuse(self, worker: str, message: str) -> None:
        if worker not in self.refused:
            self.refused[worker] = message
            self.warn(f"autograder: {message}")

    def _restriction(self) -> dict:
        if not self.refused:
            return {}
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return {"workers": [w for w in workers if w not in self.refused],
                "allow_other_workers": False}

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if fn is not grade_submission or len(args) != 1 or kwargs:
            raise TypeError("DaskExecutor runs grade_submission(job) only")
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a DaskExecutor after shutdown")
            self._queue.append((args[0], future, 0))
            self._pump()
        return future

    def _pump(self) -> None:
        """Hand queued jobs to Dask while fewer than `window` are there (lock held)."""
        while self._queue and len(self._running) < self.window and not self._closed:
            job, future, attempt = self._queue.popleft()
            if attempt == 0 and not future.set_running_or_notify_cancel():
                continue
            start = time.perf_counter()
            try:
                parcel = pack(job, self.environment)
            except Exception as exc:  # as grade_submission reports its own failure locally
                future.set_result(GradeOutcome(
                    assignment=job.assignment, student=job.student, status=GradeStatus.ERROR,
                    score=0.0, max_score=0.0, reason=f"grading failed: {error_line(exc)}",
                    work=job.work))
                continue
            key = f"grade-{job.student}-{uuid.uuid4().hex[:8]}"
            remote = self.client.submit(grade_parcel, parcel, key=key, pure=False,
                                        **self._restriction())
            self._running[key] = remote
            remote.add_done_callback(partial(self._done, job, future, attempt, start,
                                             len(parcel.files)))

    def _done(self, job: GradeJob, future: Future, attempt: int, start: float, sent: int,
              remote) -> None:
        """In Dask's callback thread: unpack the delivery, or say why there is none."""
        try:
            delivery = remote.result()
            outcome = unpack(delivery, job)
        except EnvironmentMismatch as exc:
            self._refuse(exc.args[1], str(exc))
            with self._lock:
                self._running.pop(remote.key, None)
                if attempt + 1 < ATTEMPTS:
                    self._queue.appendleft((job, future, attempt + 1))
                else:
                    future.set_exception(exc)
                self._pump()
            return
        except BaseException as exc:  # a lost worker, a cancelled run: run_jobs says which
            outcome = exc
        with self._lock:
            self._running.pop(remote.key, None)
            if isinstance(outcome, GradeOutcome):
                self.timings.append(JobTiming(job.student, time.perf_counter() - start,
                                              delivery.seconds, outcome.seconds, sent,
                                              len(delivery.files)))
                future.set_result(outcome)
            else:
                future.set_exception(outcome)
            self._pump()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[1].cancel()
            running = list(self._running.values())
        if cancel_futures and running:
            self.client.cancel(running)
        elif wait and running:
            from distributed import wait as wait_all

            wait_all(running)
        self.close()

    def close(self) -> None:
        cluster = self.client.cluster
        self.client.close()
        if cluster is not None:  # ours (local:N)
            cluster.close()
