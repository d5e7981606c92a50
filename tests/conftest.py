"""Run the tests with the course environment's own tools, however pytest was started."""

import asyncio
import os

import pytest

from autograder.common.paths import venv_environment

# Like the Makefile: the venv's python3 kernel wins over any user-level kernelspec of the same
# name, and nbgrader finds `alembic` and friends on PATH.
os.environ.update(venv_environment())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """No test module may leave an event loop marked running in this thread (Playwright's sync
    API does for as long as it is open): every later asyncio.run() or sync_playwright() would
    fail, in another module, far from the cause."""
    result = yield
    if ((nextitem is None or nextitem.module is not item.module)
            and asyncio._get_running_loop() is not None):
        raise RuntimeError(f"{item.module.__name__} left an asyncio event loop running in the "
                           "main thread: close what runs it (e.g. sync_playwright) in a fixture "
                           "of module scope or narrower")
    return result


# --- one class hub for every tests/test_hub_*.py module ------------------------------------------


@pytest.fixture(scope="session")
def class_hub():
    """A real JupyterHub (with its proxy and the grading service) on 127.0.0.1 for a
    throw-away class: the instructor, two students for the browser, three for the fault test,
    six for the load test. Real Unix accounts, removed with their homes at the end."""
    from hubclass import ASSIGNMENTS, BATCH, CI, NAMES, missing_hub

    reason = missing_hub()
    if reason is not None:
        if CI:
            pytest.fail(f"CI=true but the hub tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    from bench.hub import class_hub as start_hub
    from bench.hub import work_dir

    with work_dir() as work, start_hub(work, NAMES.students, instructor=NAMES.instructor,
                                       tiny=ASSIGNMENTS, batch=BATCH) as hub:
        yield hub


# The project's own servers (PostgreSQL, a Dask cluster) as fixtures, for every test module.
from cluster_services import (  # noqa: E402, F401
    dask_scheduler,
    gradebook_url,
    postgres_server,
    tiny_course,
)
