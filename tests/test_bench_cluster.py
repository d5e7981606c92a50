"""bench.cluster: the cluster section of `make bench`, with the cluster, the database server and
the grading as stand-ins. Local and cluster runs alternate, each cluster run into a database of
its own; grades are compared by what must not depend on where a job ran; the rows are the
ratios and per-job figures the scaling page projects from; the servers stop whatever happens.

(The real cluster and PostgreSQL: tests/test_grading_distributed.py and
tests/test_grading_database.py; the section itself runs under `make bench`.)
"""

import dataclasses
import types

import pytest

from autograder.grading.outcome import CellResult, GradeOutcome, GradeStatus
from autograder.services import dask_cluster, postgres
from bench import cluster


def outcome(student: str, score: float = 2.0, **rest) -> GradeOutcome:
    cell = CellResult(notebook="01-pickle", grade_id="test_answer", score=score, max_score=2.0)
    return GradeOutcome(assignment="01-pickle", student=student, status=GradeStatus.GRADED,
                        score=score, max_score=2.0, cells=(cell,), **{"reason": "", **rest})


def test_grades_ignore_where_the_job_ran_but_not_a_score():
    here = outcome("ada", reason="ran in /tmp/a", work="/tmp/a", seconds=3.0)
    there = outcome("ada", reason="ran in /scratch/b", work="/scratch/b", seconds=9.0)
    assert cluster.grades(here) == cluster.grades(there)
    assert cluster.grades(outcome("ada", score=1.0)) != cluster.grades(here)
    manual = dataclasses.replace(here, cells=(dataclasses.replace(
        here.cells[0], needs_manual_grade=True),))
    assert cluster.grades(manual) != cluster.grades(here)


class Executor:
    def __init__(self, address):
        self.address, self.timings, self.closed = address, [f"timing of {address}"], False

    def shutdown(self):
        self.closed = True


@pytest.fixture
def grading(monkeypatch, tmp_path):
    """grade and DaskExecutor as stand-ins: returns the calls, (kind, out, db_url) each."""
    calls, executors = [], []

    def grade(assignment, *, submissions, out, workers, executor, db_url, progress):
        calls.append(("dask" if executor else "local", out.name, db_url))
        if out.name == "dask1":
            raise RuntimeError("lost the scheduler")
        return f"run {out.name}"

    def make(address):
        executors.append(Executor(address))
        return executors[-1]

    monkeypatch.setattr(cluster, "grade", grade)
    monkeypatch.setattr(cluster, "DaskExecutor", make)
    monkeypatch.setattr(cluster, "progress", lambda message: None)
    server = types.SimpleNamespace(create_database=lambda name: f"postgresql://pg/{name}")
    return calls, executors, server


def test_local_and_cluster_runs_alternate_each_cluster_run_into_a_new_database(grading,
                                                                                tmp_path):
    calls, executors, server = grading
    runs = cluster.grade_both(tmp_path / "class", "tcp://sched", server, tmp_path, reps=1)
    assert calls == [("local", "local0", None), ("dask", "dask0", "postgresql://pg/rep0")]
    assert runs[0]["local"][1:] == ("run local0", [])
    assert runs[0]["dask"][1:] == ("run dask0", ["timing of tcp://sched"])
    assert executors[0].closed


def test_a_cluster_run_that_fails_still_closes_its_client(grading, tmp_path):
    calls, executors, server = grading
    with pytest.raises(RuntimeError, match="lost the scheduler"):
        cluster.grade_both(tmp_path / "class", "tcp://sched", server, tmp_path, reps=2)
    # the second repetition starts with the cluster: the order alternates
    assert [kind for kind, _, _ in calls] == ["local", "dask", "dask"]
    assert all(e.closed for e in executors) and len(executors) == 2


def timing(**figures):
    return types.SimpleNamespace(**{"overhead": 0.2, "worker_seconds": 5.5,
                                    "grading_seconds": 5.0, "seconds": 6.0, "sent": 40e3,
                                    "received": 90e3, **figures})


@pytest.fixture
def measured(monkeypatch, tmp_path):
    """measure() on stand-ins: two students, two repetitions; `results` sets what the cluster
    graded in each; returns (measure, what was stopped)."""
    stopped = []
    services = types.SimpleNamespace(
        address="tcp://sched", stop=lambda: stopped.append("cluster"),
        create_database=lambda name: f"postgresql://pg/{name}")
    monkeypatch.setattr(dask_cluster, "start", lambda workers, idle_timeout: services)
    monkeypatch.setattr(postgres, "start", lambda owner: types.SimpleNamespace(
        create_database=services.create_database, stop=lambda: stopped.append("postgres")))
    monkeypatch.setattr(cluster, "sample_submissions", lambda *a: tmp_path / "class")
    monkeypatch.setattr(cluster, "progress", lambda message: None)
    monkeypatch.setattr(cluster, "merge_seconds",
                        lambda outcomes, url, scratch: 2.0 if "postgresql" in url else 1.0)

    def graded(name: str, outcomes: list, csv: str):
        (tmp_path / name).mkdir()
        (tmp_path / name / "grades.csv").write_text(csv)
        return types.SimpleNamespace(outcomes=outcomes, out=tmp_path / name)

    def measure(dask_outcomes=None, dask_csv="ada,2\n", fail=False):
        def grade_both(submissions, address, server, scratch, reps):
            if fail:
                raise RuntimeError("scheduler gone")
            local = [outcome("ada"), outcome("bob", 0.0)]
            return [{"local": (10.0 * (rep + 1), graded(f"l{rep}", local, "ada,2\n"), []),
                     "dask": (12.5 * (rep + 1), graded(f"d{rep}", dask_outcomes or local,
                                                       dask_csv),
                              [timing(), timing(overhead=0.4, seconds=8.0)])}
                    for rep in range(reps)]

        monkeypatch.setattr(cluster, "grade_both", grade_both)
        return cluster.measure(("ada", "bob"), 2, 100, tmp_path)

    return measure, stopped


def test_the_section_reports_throughput_and_what_dask_adds_per_job(measured):
    measure, stopped = measured
    section = measure()
    rows = {m.name: m for m in section.measurements}
    assert rows["throughput, cluster / local, same repetition"].values == (0.8, 0.8)
    assert rows["Dask overhead per job"].values == (0.2, 0.4, 0.2, 0.4)
    assert rows["of which on the worker (unpack, helper, pack)"].values == (0.5,) * 4
    assert rows["merge per outcome, PostgreSQL (100 outcomes)"].values == (20.0,)  # ms
    assert rows["gradebook write rate, PostgreSQL"].values == (50.0,)
    assert "(every cell, and nbgrader's grades.csv): yes." in section.notes[1]
    assert "Median job on the cluster 7.0 s" in section.notes[2]
    assert stopped == ["postgres", "cluster"]


def test_grades_that_differ_between_local_and_cluster_are_named(measured):
    measure, _ = measured
    section = measure(dask_outcomes=[outcome("ada"), outcome("bob", 1.0)], dask_csv="ada,1\n")
    assert section.notes[1].endswith(
        "**NO**: repetition 1: bob; repetition 2: bob; repetition 1: grades.csv; "
        "repetition 2: grades.csv")


def test_the_servers_stop_when_grading_fails(measured):
    measure, stopped = measured
    with pytest.raises(RuntimeError, match="scheduler gone"):
        measure(fail=True)
    assert sorted(stopped) == ["cluster", "postgres"]
