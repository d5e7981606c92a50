"""The gradebook in PostgreSQL (autograder.grading.database, journal, grade --db --resume).

The tiny class is graded on the loopback Dask cluster into a PostgreSQL database; stock
nbgrader (export, formgrader) reads it back. Then the faults: the server stopped during the
merge (a clear message, every outcome kept, `--resume` finishes without grading anyone
again), and the same submission merged by two grade runs at once (one row, nothing lost).
"""

import csv
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace

import pytest
from cluster_services import comparable
from grading_course import ASSIGNMENT, write_class

from autograder.grading import database, orchestrator, report
from autograder.grading.course import GradingCourse
from autograder.grading.distributed import DaskExecutor
from autograder.grading.journal import Journal
from autograder.grading.limits import JobLimits
from autograder.grading.merge import merge
from autograder.grading.orchestrator import SCRATCH, grade
from autograder.services import free_port, postgres

ANSWERS = {"ada": "answer = 42", "bob": "answer = 41"}
LIMITS = JobLimits(cpu_seconds=60, wall_seconds=60, basis="the test's")


@pytest.fixture(scope="module")
def course(tiny_course):
    return tiny_course


@pytest.fixture(scope="module")
def pg_run(course, tmp_path_factory, postgres_server, dask_scheduler):
    """The tiny class graded on the cluster into a new PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("pg")
    url = postgres_server.create_database(f"run_{uuid.uuid4().hex[:8]}")
    executor = DaskExecutor(dask_scheduler.address)
    try:
        run = grade(ASSIGNMENT, course=course, submissions=write_class(course, tmp / "class",
                                                                       ANSWERS),
                    out=tmp / "out", limits=LIMITS, executor=executor, db_url=url,
                    progress=False)
    finally:
        executor.shutdown()
    assert executor.window == 2 and not executor.refused
    assert sorted(t.student for t in executor.timings) == sorted(ANSWERS)
    return run, url


def gradebook_rows(url: str) -> dict[str, tuple[int, int, float]]:
    """student -> (submissions, grades, total score), read with SQL, not nbgrader."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT s.student_id, COUNT(DISTINCT s.id), COUNT(g.id), "
            "COALESCE(SUM(g.auto_score), 0) FROM submitted_assignment s "
            "JOIN submitted_notebook n ON n.assignment_id = s.id "
            "JOIN grade g ON g.notebook_id = n.id GROUP BY s.student_id").fetchall()
    return {student: (subs, grades, float(score)) for student, subs, grades, score in rows}


def test_the_cluster_into_postgresql_grades_as_the_local_pool_into_sqlite(
        pg_run, course, tmp_path):
    run, url = pg_run
    local = grade(ASSIGNMENT, course=course,
                  submissions=write_class(course, tmp_path / "class", ANSWERS),
                  out=tmp_path / "out", limits=LIMITS, workers=2, progress=False)
    assert comparable(run.outcomes) == comparable(local.outcomes)
    assert [o.reason for o in run.outcomes] == [o.reason for o in local.outcomes]
    assert (run.out / "grades.csv").read_text() == (tmp_path / "out/grades.csv").read_text()
    for student in ANSWERS:  # the worker's files came back to where the merge expects them
        for kind, suffix in (("autograded", "ipynb"), ("feedback", "html")):
            assert (run.out / kind / student / ASSIGNMENT / f"{ASSIGNMENT}.{suffix}").is_file()


def test_the_class_lands_in_postgresql_with_its_grades(pg_run):
    run, url = pg_run
    assert {o.student: o.score for o in run.outcomes} == {"ada": 2.0, "bob": 0.0}
    assert gradebook_rows(url) == {"ada": (1, 1, 2.0), "bob": (1, 1, 0.0)}
    assert not (run.out / "gradebook.db").exists()  # no SQLite file beside it
    assert (run.out / "nbgrader_config.py").stat().st_mode & 0o077 == 0  # holds the password


def test_stock_nbgrader_export_reads_the_postgresql_gradebook(pg_run):
    """nbgrader run in the output folder reads its nbgrader_config.py, which names the
    server: its export there gives the class's grades."""
    run, url = pg_run
    there = GradingCourse.open(run.out)  # the settings `cd OUT && nbgrader ...` has
    assert there.db_url == url
    export = report.export_grades(there, run.out / "export.csv")
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(export.open())}
    assert rows == {"ada": 2.0, "bob": 0.0}
    assert export.read_text() == (run.out / "grades.csv").read_text()


def test_formgrader_serves_the_postgresql_gradebook(pg_run, tmp_path):
    from browser import LabServer, jupyter_env

    run, _ = pg_run
    server = LabServer.start(run.out, jupyter_env(tmp_path / "home"), tmp_path / "lab.log",
                             token=uuid.uuid4().hex)
    try:
        assignments = get_json(server.url("formgrader/api/assignments"))
        submissions = get_json(server.url(f"formgrader/api/submissions/{ASSIGNMENT}"))
    finally:
        server.stop()
    assert [(a["name"], a["num_submissions"]) for a in assignments] == [(ASSIGNMENT, 2)]
    assert {s["student"]: s["score"] for s in submissions} == {"ada": 2.0, "bob": 0.0}


def get_json(url: str):
    import json
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


class NoJobs:
    """An executor for a run that must grade no one."""

    def submit(self, *args, **kwargs):
        raise AssertionError("a resumed run graded a submission again")


def test_a_server_stopped_during_the_merge_loses_nothing_and_resume_finishes(
        course, tmp_path, monkeypatch, dask_scheduler):
    """On a server of its own, which it stops; the jobs run on the shared cluster."""
    server = postgres.start(owner=os.getpid())
    executor = DaskExecutor(dask_scheduler.address)
    try:
        url = server.create_database("gradebook")
        merged = []

        def merge_then_stop(outcomes, course, on_merged):  # down after the first outcome
            def stop(outcome):
                on_merged(outcome)
                merged.append(outcome.student)
                server.stop("immediate", remove=False)

            merge(outcomes, course, stop)

        monkeypatch.setattr(orchestrator, "merge", merge_then_stop)
        submissions = write_class(course, tmp_path / "class", ANSWERS)
        how = {"course": course, "submissions": submissions, "out": tmp_path / "out",
               "limits": LIMITS, "progress": False, "db_url": url}
        with pytest.raises(database.GradebookUnavailable) as stopped:
            grade(ASSIGNMENT, executor=executor, **how)
        message = str(stopped.value)
        assert "\n" not in message and server.password not in message
        assert message.startswith("the gradebook at postgresql://autograder:***@127.0.0.1:")
        assert "stopped after merging 1 of 2 outcomes" in message and "--resume" in message
        kept = Journal(tmp_path / "out" / SCRATCH / ASSIGNMENT).outcomes()
        assert sorted(kept) == ["ada", "bob"]

        server = server.restart()
        monkeypatch.setattr(orchestrator, "merge", merge)
        resumed = grade(ASSIGNMENT, executor=NoJobs(), resume=True, **how)
    finally:
        executor.shutdown()
        server.stop()
    assert merged == ["ada"]
    assert {o.student: o.score for o in resumed.outcomes} == {"ada": 2.0, "bob": 0.0}
    assert resumed.outcomes == [kept["ada"], kept["bob"]]
    for student in ANSWERS:  # the second half's files came out of the journal's job folders
        assert (tmp_path / "out/feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    rows = {r["student_id"]: float(r["score"])
            for r in csv.DictReader((tmp_path / "out/grades.csv").open())}
    assert rows == {"ada": 2.0, "bob": 0.0}


def test_the_same_submissions_merged_at_once_by_two_runs_give_one_row_each(
        pg_run, course, tmp_path):
    """Two merges of the same outcomes, each on connections of its own, released together
    before every outcome: the write lock makes them take turns."""
    run, url = pg_run
    ada = next(o for o in run.outcomes if o.student == "ada")
    racers = [replace(ada, student=f"racer{i}", work="", autograded="", feedback="")
              for i in range(8)]
    graded = GradingCourse.open(course, tmp_path, url)
    barrier = threading.Barrier(2)
    failed = []

    def merge_at_once(name: str) -> None:
        try:
            for outcome in racers:
                barrier.wait(timeout=60)
                orchestrator.merge_all([outcome], graded, Journal(tmp_path / name))
        except BaseException as exc:
            failed.append(exc)
            barrier.abort()

    runs = [threading.Thread(target=merge_at_once, args=(name,)) for name in ("a", "b")]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(120)
    assert not failed
    rows = gradebook_rows(url)
    assert {s: rows[s] for s in rows if s.startswith("racer")} == \
        {r.student: (1, 1, 2.0) for r in racers}


def test_two_grade_runs_of_one_submission_at_once(course, tmp_path, gradebook_url):
    submissions = write_class(course, tmp_path / "class", {"ada": "answer = 42"})
    script = ("import sys; from pathlib import Path; "
              "from autograder.grading.orchestrator import grade; "
              "from autograder.grading.limits import JobLimits; "
              "grade('tiny', submissions=Path(sys.argv[1]), out=Path(sys.argv[2]), "
              "course=Path(sys.argv[3]), workers=1, limits=JobLimits(cpu_seconds=60, "
              "wall_seconds=60), db_url=sys.argv[4], progress=False)")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(submissions),
                              str(tmp_path / f"out{i}"), str(course), gradebook_url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in range(2)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-500:] for _, err in results]
    assert gradebook_rows(gradebook_url) == {"ada": (1, 1, 2.0)}


def test_a_server_that_does_not_answer_is_one_line_without_its_password():
    url = f"postgresql://someone:secret@127.0.0.1:{free_port()}/gradebook"
    start = time.perf_counter()
    with pytest.raises(database.GradebookUnavailable) as error:
        database.check(url)
    assert time.perf_counter() - start < 5
    text = str(error.value)
    assert "\n" not in text and "secret" not in text
    assert text.startswith("the gradebook at postgresql://someone:***@127.0.0.1:")
