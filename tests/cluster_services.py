"""Fixtures that start the project's own servers on 127.0.0.1 (`autograder.services`).

PostgreSQL skips its tests, with the reason, where it is not installed and cannot be; under
CI=true it must run, so there its absence fails them. Dask is a pinned package: always there.
"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from autograder.services import Unavailable, dask_cluster, postgres

IDLE = 3600  # seconds: a scheduler left behind by a killed test run ends itself


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = postgres.start(owner=os.getpid())
    except Unavailable as exc:
        unavailable(str(exc))
    yield server
    server.stop()


@pytest.fixture
def gradebook_url(postgres_server) -> str:
    """A new, empty PostgreSQL database for one test."""
    return postgres_server.create_database(f"gradebook_{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory):
    """The tiny nbgrader course (tests/grading_course.py), made once for the cluster tests."""
    from grading_course import make_course

    return make_course(tmp_path_factory.mktemp("tiny-course"))


@pytest.fixture(scope="session")
def dask_scheduler():
    """A scheduler with two one-thread workers, shared by the tests that do not break it."""
    cluster = dask_cluster.start(2, idle_timeout=IDLE)
    yield cluster
    cluster.stop()


def comparable(outcomes):
    """What must not depend on where a job ran: every cell's grade, the notes, the sandbox's
    layers. Times may, messages that name the folder a notebook ran in may, and so may how
    many paths and mounts the sandbox covered: a worker holds less (no gradebook, no course)."""
    return {o.student: (o.status, o.score, o.comments, o.notes,
                        tuple((c.notebook, c.grade_id, c.score, c.needs_manual_grade)
                              for c in o.cells),
                        o.isolation.network, o.isolation.processes,
                        re.sub(r"\d+", "N", o.isolation.files))
            for o in outcomes}
