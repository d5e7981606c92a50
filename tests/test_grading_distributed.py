"""autograder.grading.distributed: the tiny course graded on a real Dask cluster on 127.0.0.1.

A parcel grades with the client's folders gone; a worker with other package versions is
refused by name; a scheduler that does not answer is one line at once; a worker killed with
SIGKILL mid-job costs nothing but time; the 01-pickle sample class grades on the cluster into
PostgreSQL as it does locally into SQLite. (The tiny class on the cluster against the local
pool: tests/test_grading_database.py.)
"""

import os
import shutil
import threading
import time
from pathlib import Path

import psutil
import pytest
from cluster_services import comparable
from distributed import Client
from grading_course import ASSIGNMENT, make_course, submission, write_class

from autograder.grading.course import define_assignment, grading_config
from autograder.grading.distributed import (
    DaskExecutor,
    EnvironmentMismatch,
    SchedulerUnreachable,
    grade_parcel,
    pack,
    unpack,
)
from autograder.grading.limits import Limits
from autograder.grading.orchestrator import grade
from autograder.grading.workers import GradeJob
from autograder.services import alive, dask_cluster, free_port, stop_session

ANSWERS = {"ada": "answer = 42", "bob": "answer = 41"}
SLOW = "time.sleep(6)\nanswer = 42"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


def graded(course, folder: Path, answers, **how):
    return grade(ASSIGNMENT, write_class(course, folder / "class", answers),
                 out=folder / "graded", root=course, limits=Limits(timeout=60),
                 progress=False, **how)


def make_job(course: Path, where: Path, student: str, answer: str) -> GradeJob:
    """A job as the orchestrator makes it: its submission, template and release on disk."""
    import nbformat

    define_assignment(grading_config(where, root=course, db=where / "template.db"),
                      ASSIGNMENT, where / "release")
    folder = where / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(submission(course, answer), folder / f"{ASSIGNMENT}.ipynb")
    return GradeJob(ASSIGNMENT, student, str(folder), str(where / "jobs" / student),
                    str(where / "template.db"), str(course / "lessons" / ASSIGNMENT),
                    str(where), str(course), course_id="model-serialization",
                    limits=Limits(timeout=60))


def test_a_parcel_is_all_a_worker_needs(course, tmp_path, dask_scheduler):
    copy = shutil.copytree(course, tmp_path / "course")
    job = make_job(copy, tmp_path / "client", "dee", "answer = 42")
    parcel = pack(job, {})
    shutil.rmtree(copy)  # nothing of the client's is left to read
    shutil.rmtree(tmp_path / "client")
    with Client(dask_scheduler.address, set_as_default=False) as client:
        delivery = client.submit(grade_parcel, parcel, pure=False).result()
    assert (delivery.outcome.status, delivery.outcome.score) == ("graded", 2.0)
    assert delivery.outcome.isolation.files.startswith(("hidden", "not hidden"))
    stale = Path(job.work, "course", "stale.txt")  # left by an earlier attempt
    stale.parent.mkdir(parents=True)
    stale.write_text("stale")
    outcome = unpack(delivery, job)
    assert not stale.exists()
    feedback = Path(job.work, "course", "feedback", "dee", ASSIGNMENT, f"{ASSIGNMENT}.html")
    assert outcome.work == job.work and "answer should be 42" in feedback.read_text()


def shadow_nbgrader(folder: Path) -> Path:
    """A folder whose metadata says nbgrader 0.0.1: first on a worker's path, it is a worker
    whose environment differs from the grader's (the code still imports)."""
    info = folder / "nbgrader-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: nbgrader\nVersion: 0.0.1\n")
    return folder


def test_a_worker_whose_environment_differs_is_refused_by_name(tmp_path):
    from importlib.metadata import version

    cluster = dask_cluster.start(0, idle_timeout=300)
    workers = []
    try:
        shadow = shadow_nbgrader(tmp_path / "shadow")
        workers.append(dask_cluster.start_worker(cluster.scheduler_file, Path(cluster.folder),
                                                 "stale", PYTHONPATH=str(shadow)))
        with pytest.raises(EnvironmentMismatch, match="no Dask worker .* matches"):
            DaskExecutor(cluster.address, warn=lambda line: None)

        workers.append(dask_cluster.start_worker(cluster.scheduler_file, Path(cluster.folder),
                                                 "current"))
        with Client(cluster.address, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        warnings = []
        executor = DaskExecutor(cluster.address, warn=warnings.append)
        executor.shutdown()
        assert executor.window == 1  # the current worker's one thread: jobs go there only
        assert len(warnings) == 1 and list(executor.refused) == [warnings[0].split()[3]]
        assert f"nbgrader {version('nbgrader')} here, 0.0.1 there" in warnings[0]
        assert warnings[0].startswith("autograder: Dask worker tcp://127.0.0.1:")
    finally:
        for pid in workers:
            stop_session(pid)
        cluster.stop()


def test_a_scheduler_that_does_not_answer_is_one_line_at_once():
    start = time.perf_counter()
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(SchedulerUnreachable) as error:
        DaskExecutor(address)
    assert time.perf_counter() - start < 5
    assert str(error.value).startswith(f"cannot reach the Dask scheduler at {address}: ")
    assert "\n" not in str(error.value)


def test_a_worker_killed_mid_job_costs_time_not_the_grade(course, tmp_path):
    """On a LocalCluster (`--dask local:2`): SIGKILL the worker running a job whose kernel
    runs; the scheduler reruns the job on the other worker."""
    answers = {"slow": SLOW, "ada": "answer = 42"}
    undisturbed = graded(course, tmp_path / "local", answers, workers=2)
    executor = DaskExecutor("local:2")
    try:
        assert executor.window == 2
        done = {}
        thread = threading.Thread(target=lambda: done.update(run=graded(
            course, tmp_path / "dask", answers, executor=executor)))
        thread.start()
        victim, grading = running_kernel(executor.client, "grade-slow-")
        victim.kill()
        thread.join(180)
        assert not thread.is_alive()
    finally:
        executor.shutdown()
    assert comparable(done["run"].outcomes) == comparable(undisturbed.outcomes)
    # the killed worker's helper, runner and kernel died with it
    deadline = time.monotonic() + 10
    while any(alive(p.pid) for p in grading) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [cmdline(p) for p in grading if alive(p.pid)]


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


E2E = ("correct", "partly-right", "snoop", "memory-hog")  # full, partial, hostile, limits


@pytest.mark.notebook
def test_the_sample_class_on_the_cluster_into_postgresql_grades_as_locally(
        tmp_path, gradebook_url, monkeypatch):
    """01-pickle's sample class (what each kind of submission proves) graded on a loopback
    cluster into PostgreSQL, and locally into SQLite: every cell's grade identical. In quick
    mode on both sides (a local:2 cluster's workers inherit it), as `make test` runs lessons."""
    from autograder.course.measure import QUICK_VARIABLE
    from autograder.grading import samples

    monkeypatch.setenv(QUICK_VARIABLE, "1")

    submissions = samples.write_class("01-pickle", tmp_path / "class")
    for folder in submissions.iterdir():
        if folder.name not in E2E:
            shutil.rmtree(folder)
    how = {"limits": Limits(timeout=300), "progress": False}  # wall clock: a busy machine
    local = grade("01-pickle", submissions, out=tmp_path / "local", workers=2, **how)
    executor = DaskExecutor("local:2")
    try:
        remote = grade("01-pickle", submissions, out=tmp_path / "dask", executor=executor,
                       db_url=gradebook_url, **how)
    finally:
        executor.shutdown()
    assert comparable(remote.outcomes) == comparable(local.outcomes)
    expected = {s.student: s for s in samples.load_class("01-pickle")}
    assert {o.student: samples.check(expected[o.student], o.status, o.score, o.reason)
            for o in remote.outcomes} == dict.fromkeys(E2E, "")
    assert (tmp_path / "dask/grades.csv").read_text() == \
        (tmp_path / "local/grades.csv").read_text()
