"""autograder.grading.distributed: the tiny course graded on a real Dask cluster on 127.0.0.1.

A parcel grades with the client's folders gone; a worker with other package versions is
refused by name; a scheduler that does not answer is one line at once; a worker killed with
SIGKILL mid-job costs nothing but time. (The class on the cluster into PostgreSQL against the
local pool into SQLite: tests/test_grading_database.py; the 01-pickle sample class: the
cluster section of `make bench`.)
"""

import os
import shutil
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from distributed import Client
from grading_course import ASSIGNMENT, submission, write_class

from autograder.grading import distributed, orchestrator
from autograder.grading.course import GradingCourse
from autograder.grading.distributed import (
    DaskExecutor,
    EnvironmentMismatch,
    SchedulerUnreachable,
    grade_parcel,
    pack,
    unpack,
)
from autograder.grading.limits import JobLimits
from autograder.grading.outcome import GradeStatus
from autograder.services import alive, dask_cluster, free_port, stop_session

LIMITS = JobLimits(cpu_seconds=60, wall_seconds=60, basis="the test's")


@pytest.fixture(scope="module")
def course(tiny_course):
    return tiny_course


def client_job(course: Path, where: Path, student: str, answer: str):
    """One job as the orchestrator makes it: the submission and template on the client."""
    graded = GradingCourse.open(course, where)
    scratch = orchestrator.fresh_scratch(graded, ASSIGNMENT)
    orchestrator.define(graded, ASSIGNMENT, scratch)
    template = orchestrator.make_template(graded, ASSIGNMENT, scratch)
    folder = where / "class" / student
    folder.mkdir(parents=True)
    nbformat.write(submission(course, answer), folder / f"{ASSIGNMENT}.ipynb")
    return orchestrator.make_job(graded, ASSIGNMENT, student, scratch, template, LIMITS,
                                 isolate=True, quick=True, submissions=None, submission=folder)


def test_a_parcel_is_all_a_worker_needs(course, tmp_path, dask_scheduler):
    copy = shutil.copytree(course, tmp_path / "course")
    job = client_job(copy, tmp_path / "client", "dee", "answer = 42")
    parcel = pack(job, {})
    shutil.rmtree(copy)  # nothing of the client's is left to read
    shutil.rmtree(tmp_path / "client")
    with Client(dask_scheduler.address, set_as_default=False) as client:
        delivery = client.submit(grade_parcel, parcel, pure=False).result()
    assert (delivery.outcome.status, delivery.outcome.score) == (GradeStatus.GRADED, 2.0)
    assert delivery.outcome.isolation.files.startswith(("hidden", "not hidden"))
    stale = Path(job.work, "stale.txt")  # left by an earlier attempt
    stale.parent.mkdir(parents=True)
    stale.write_text("stale")
    outcome = unpack(delivery, job)
    assert not stale.exists() and outcome.work == job.work
    assert Path(outcome.autograded, f"{ASSIGNMENT}.ipynb").is_file()
    assert "answer should be 42" in Path(outcome.feedback, f"{ASSIGNMENT}.html").read_text()


def shadow_nbgrader(folder: Path) -> Path:
    """A folder whose metadata says nbgrader 0.0.1: first on a worker's path, it is a worker
    whose environment differs from the grader's (the code still imports)."""
    info = folder / "nbgrader-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nbgrader\nVersion: 0.0.1\n")
    return folder


def test_a_worker_whose_environment_differs_is_refused_by_name(tmp_path, dask_scheduler,
                                                              monkeypatch):
    """A grader whose own code matches no worker: no executor at all. A stale worker beside
    the shared cluster's two: refused with what differs, and the jobs go to the others."""
    from importlib.metadata import version

    warnings = []
    with monkeypatch.context() as patched:
        patched.setattr(distributed, "code_digest", lambda: "another-version")
        with pytest.raises(EnvironmentMismatch, match="no Dask worker .* matches this grader"):
            DaskExecutor(dask_scheduler.address, warn=warnings.append)
    assert len(warnings) == 2 and all("autograder code another-version here, " in w
                                      for w in warnings)

    stale = dask_cluster.start_worker(dask_scheduler.scheduler_file,
                                      Path(dask_scheduler.folder), "stale",
                                      PYTHONPATH=str(shadow_nbgrader(tmp_path / "shadow")))
    try:
        with Client(dask_scheduler.address, set_as_default=False) as client:
            client.wait_for_workers(3, timeout=60)
        warnings.clear()
        executor = DaskExecutor(dask_scheduler.address, warn=warnings.append)
        executor.shutdown()
    finally:
        stop_session(stale)
    assert executor.window == 2  # the shared cluster's two one-thread workers
    assert len(warnings) == 1 and list(executor.refused) == [warnings[0].split()[3]]
    assert f"nbgrader {version('nbgrader')} here, 0.0.1 there" in warnings[0]
    assert warnings[0].startswith("autograder: Dask worker tcp://127.0.0.1:")



def test_a_scheduler_that_does_not_answer_is_one_line_at_once():
    start = time.perf_counter()
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(SchedulerUnreachable) as error:
        DaskExecutor(address)
    assert time.perf_counter() - start < 5
    assert str(error.value).startswith(f"cannot reach the Dask scheduler at {address}: ")
    assert "\n" not in str(error.value)


def test_a_worker_killed_mid_job_costs_time_not_the_grade(course, tmp_path, dask_scheduler):
    """SIGKILL the shared cluster's worker running a job whose kernel runs: the scheduler
    reruns the job on the other worker, and the grade is the one the job earns undisturbed
    (the tiny course's: 2 of 2 for the right answer); the nanny restarts the worker."""
    answers = {"slow": "time.sleep(4)\nanswer = 42", "ada": "answer = 42"}
    executor = DaskExecutor(dask_scheduler.address)
    try:
        done = {}
        thread = threading.Thread(target=lambda: done.update(run=orchestrator.grade(
            ASSIGNMENT, course=course, submissions=write_class(course, tmp_path / "class",
                                                               answers),
            out=tmp_path / "out", limits=LIMITS, executor=executor, progress=False)))
        thread.start()
        victim, grading = running_kernel(executor.client, "grade-slow-")
        victim.kill()
        thread.join(180)
        assert not thread.is_alive()
    finally:
        executor.shutdown()
    assert {o.student: (o.status, o.score, [c.score for c in o.cells])
            for o in done["run"].outcomes} == dict.fromkeys(answers,
                                                            (GradeStatus.GRADED, 2.0, [2.0]))
    # the killed worker's helper, runner and kernel died with it
    deadline = time.monotonic() + 10
    while any(alive(p.pid) for p in grading) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [cmdline(p) for p in grading if alive(p.pid)]
    with Client(dask_scheduler.address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)  # healed, for whoever shares it next


def running_kernel(client: Client, prefix: str, timeout: float = 120):
    """The worker process running the task whose key starts with `prefix`, once that task's
    kernel runs, and the processes grading it (helper, runner, kernel)."""
    pids = client.run(os.getpid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(key).startswith(prefix) for key in keys):
                grading = psutil.Process(pids[worker]).children(recursive=True)
                if any("ipykernel" in cmdline(p) for p in grading):
                    return psutil.Process(pids[worker]), grading
        time.sleep(0.2)
    raise AssertionError(f"no kernel for a task {prefix}* started within {timeout} s")


def cmdline(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # ended meanwhile
        return ""
