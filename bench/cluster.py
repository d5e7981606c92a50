"""Grading on a Dask cluster, and the gradebook in PostgreSQL, against the local defaults.

1. The same submissions of the sample class graded by the local process pool (2 workers) into
   SQLite and by a loopback Dask cluster of 2 one-thread workers
   (`autograder.services.dask_cluster`, started once, as a standing cluster is) into a
   loopback PostgreSQL server, alternately, in one process, REPS times: the throughput ratio
   within each repetition, and what Dask adds to each job (its round trip from the client
   minus `grade_submission`'s own time: packing, shipping both ways, scheduling, unpacking).
   Grades must be identical, cell by cell, and so must nbgrader's grades.csv.
2. The merge: the same outcomes merged into a new SQLite gradebook and into a new database of
   a loopback PostgreSQL server (`autograder.services.postgres`), through nbgrader's API,
   under the write lock a shared server needs.

The figures are per job and per outcome, so docs/scaling.md projects larger classes from them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.grading.course import GradingCourse
from autograder.grading.distributed import DaskExecutor
from autograder.grading.journal import Journal
from autograder.grading.orchestrator import define, grade, merge_all
from bench.core import Measurement, Section, progress
from bench.grading import ASSIGNMENT, QUICK_STUDENTS, STUDENTS, sample_submissions

REPS = 3
IDLE = 600  # seconds: a cluster left behind by a killed run ends itself
WORKERS = 2
MERGED = 200  # outcomes merged into each gradebook (the class's, under other names)
QUICK_MERGED = 20


def grade_both(submissions: Path, address: str, server, scratch: Path, reps: int):
    """[(local run, cluster run, the cluster's job timings)] per repetition, alternating; the
    cluster's runs each into a new PostgreSQL database."""
    runs = []
    for rep in range(reps):
        pair = {}
        for kind in (("local", "dask") if rep % 2 == 0 else ("dask", "local")):
            progress(f"cluster: repetition {rep + 1}/{reps}, {kind}")
            start = time.perf_counter()
            executor = DaskExecutor(address) if kind == "dask" else None
            url = server.create_database(f"rep{rep}") if executor else None
            try:
                run = grade(ASSIGNMENT, submissions=submissions, out=scratch / f"{kind}{rep}",
                            workers=WORKERS, executor=executor, db_url=url, progress=False)
            finally:
                if executor is not None:
                    executor.shutdown()
            pair[kind] = (time.perf_counter() - start, run,
                          executor.timings if executor else [])
        runs.append(pair)
    return runs


def grades(outcome) -> tuple:
    """What must not depend on where a job ran (messages may name the folder it ran in)."""
    return (outcome.student, outcome.status, outcome.score,
            tuple((c.notebook, c.grade_id, c.score, c.needs_manual_grade)
                  for c in outcome.cells))


def merge_seconds(outcomes, url: str, scratch: Path) -> float:
    """Seconds to merge these outcomes into the gradebook at `url` (the assignment defined
    there first, untimed)."""
    course = GradingCourse.open(ROOT, scratch, url)
    define(course, ASSIGNMENT, scratch)
    journal = Journal(scratch / "journal")
    start = time.perf_counter()
    merge_all(outcomes, course, journal)
    return time.perf_counter() - start


def measure(students: tuple[str, ...], reps: int, merged: int, scratch: Path) -> Section:
    from autograder.services import dask_cluster, postgres

    submissions = sample_submissions(ASSIGNMENT, students, scratch / "class")
    n = len(students)
    cluster = dask_cluster.start(WORKERS, idle_timeout=IDLE)
    server = postgres.start(owner=os.getpid())
    try:
        runs = grade_both(submissions, cluster.address, server, scratch, reps)
        progress(f"cluster: merging {merged} outcomes into SQLite and PostgreSQL")
        outcomes = runs[-1]["local"][1].outcomes
        many = [replace(outcomes[i % n], student=f"s{i:05d}", work="", autograded="",
                        feedback="") for i in range(merged)]
        sqlite = merge_seconds(many, f"sqlite:///{scratch / 'merge.db'}", scratch / "m-sqlite")
        pg = merge_seconds(many, server.create_database("merge"), scratch / "m-postgres")
    finally:
        server.stop()
        cluster.stop()
    local = [r["local"] for r in runs]
    dask = [r["dask"] for r in runs]
    timings = [t for _, _, ts in dask for t in ts]
    differ = [f"repetition {i + 1}: {o.student}" for i, r in enumerate(runs)
              for o, d in zip(r["local"][1].outcomes, r["dask"][1].outcomes, strict=True)
              if grades(o) != grades(d)]
    differ += [f"repetition {i + 1}: grades.csv" for i, r in enumerate(runs)
               if (r["local"][1].out / "grades.csv").read_text()
               != (r["dask"][1].out / "grades.csv").read_text()]

    rows = [
        Measurement(f"local pool, {WORKERS} workers, {n} submissions", "s",
                    tuple(s for s, _, _ in local)),
        Measurement(f"loopback Dask cluster, {WORKERS} one-thread workers, {n} submissions",
                    "s", tuple(s for s, _, _ in dask),
                    note="into PostgreSQL; connecting and checking the workers' environment "
                         "included"),
        Measurement("throughput, cluster / local, same repetition", "×",
                    tuple(ls / ds for (ls, _, _), (ds, _, _) in zip(local, dask, strict=True)),
                    goal=0.9, higher_is_better=True),
        Measurement("Dask overhead per job", "s", tuple(t.overhead for t in timings),
                    goal=0.5, note="round trip from the client minus grade_submission itself"),
        Measurement("of which on the worker (unpack, helper, pack)", "s",
                    tuple(t.worker_seconds - t.grading_seconds for t in timings)),
        Measurement("grading per job on the cluster (grade_submission)", "s",
                    tuple(t.grading_seconds for t in timings)),
        Measurement("grading per job in the local pool", "s",
                    tuple(o.seconds for _, run, _ in local for o in run.outcomes)),
        Measurement("shipped to a worker per job", "KB", tuple(t.sent / 1e3 for t in timings),
                    note="submission, template gradebook, course config; gzip level 1"),
        Measurement("shipped back per job", "KB", tuple(t.received / 1e3 for t in timings),
                    note="autograded notebook and feedback HTML"),
        Measurement(f"merge per outcome, SQLite ({merged} outcomes)", "ms",
                    (1e3 * sqlite / merged,)),
        Measurement(f"merge per outcome, PostgreSQL ({merged} outcomes)", "ms",
                    (1e3 * pg / merged,), note="loopback server, advisory write lock"),
        Measurement("gradebook write rate, PostgreSQL", "outcomes/s", (merged / pg,),
                    higher_is_better=True),
    ]
    notes = [
        f"Submissions: {', '.join(students)} from the {ASSIGNMENT} sample class.",
        "Grades identical between the local pool into SQLite and the cluster into "
        "PostgreSQL in every repetition (every cell, and nbgrader's grades.csv): " + (
            "yes." if not differ else f"**NO**: {'; '.join(differ[:5])}"),
        f"Median job on the cluster {statistics.median(t.seconds for t in timings):.1f} s "
        "from hand-over to outcome unpacked.",
    ]
    intro = (
        f"The same {n} submissions of `{ASSIGNMENT}` graded by the local process pool into "
        f"SQLite and by a Dask cluster of {WORKERS} one-thread workers on 127.0.0.1 into "
        f"PostgreSQL, alternately, {reps} "
        "times, on the same cores: nothing is gained by the cluster here, so the ratio is "
        "what Dask costs. Then one class's outcomes merged into SQLite and into PostgreSQL.")
    return Section("cluster", "Grading on a cluster", intro, rows, notes)


def run(quick: bool = False) -> Section:
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        return measure(QUICK_STUDENTS if quick else STUDENTS, 1 if quick else REPS,
                       QUICK_MERGED if quick else MERGED, Path(tmp))
