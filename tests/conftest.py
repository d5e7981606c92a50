"""Run the tests with the course environment's own tools, however pytest was started."""

import asyncio
import os

import pytest

from autograder.common.paths import venv_environment

# Like the Makefile: the venv's python3 kernel wins over any user-level kernelspec of the same
# name, and nbgrader finds `alembic` and friends on PATH.
os.environ.update(venv_environment())


# `make test` runs on both cores (pytest-xdist, `-n 2`). Each module runs whole on one worker, so
# its module and session fixtures run once; modules that share a server form one group (one hub,
# one cluster). The longest groups are handed out first, so neither worker is left with a long
# one at the end.
SHARED = {"test_hub_": "hub", "test_grading_database": "cluster",
          "test_grading_distributed": "cluster", "test_services_": "cluster",
          "test_cli_cluster": "cluster"}
LONGEST = ("test_grading_e2e", "test_course_authoring", "hub", "test_bench_grading",
           "test_browser", "test_cli_score", "test_cli_verify", "cluster", "test_grading_parity")


def group(module: str) -> str:
    return next((g for prefix, g in SHARED.items() if module.startswith(prefix)), module)


def pytest_collection_modifyitems(items):
    first = {name: rank for rank, name in enumerate(LONGEST)}
    # stable, so each module's tests stay together and in their order
    items.sort(key=lambda item: first.get(group(item.module.__name__), len(LONGEST)))


def pytest_xdist_make_scheduler(config, log):
    """Work units are our groups, in collection order (xdist's own grouping marks do not reach
    pytest 9's node ids)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py"))

    config.option.loadscopereorder = False
    return ByGroup(config, log)


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


# --- shared by several modules ----------------------------------------------------------------


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The artifact corpus (tests/corpus.py): benign, malicious and corrupted files."""
    import corpus as corpora

    return corpora.get(tmp_path_factory)


@pytest.fixture
def shown(monkeypatch):
    """What plots.show displays: (bundle, metadata) pairs."""
    out = []
    monkeypatch.setattr("IPython.display.display",
                        lambda bundle, raw, metadata: out.append((bundle, metadata)))
    return out


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
