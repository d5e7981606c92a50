"""autograder.services.dask_cluster: a scheduler and one-thread workers on 127.0.0.1."""

import multiprocessing
import os

import psutil
from distributed import Client

from autograder.services import HOST


def test_two_one_thread_workers_on_loopback_with_the_graders_environment(dask_scheduler):
    def worker_facts():  # nested, so Dask ships it by value to the workers
        return {"omp": os.environ.get("OMP_NUM_THREADS"),
                "daemon": multiprocessing.current_process().daemon}

    assert dask_scheduler.address.startswith(f"tcp://{HOST}:")
    with Client(dask_scheduler.address, set_as_default=False) as client:
        workers = client.scheduler_info(n_workers=-1)["workers"]
        facts = client.run(worker_facts)
    assert len(workers) == 2
    assert all(w["host"] == HOST and w["nthreads"] == 1 for w in workers.values())
    # no BLAS thread limit of the nanny's own, and free to start helper processes
    assert [(f["omp"], f["daemon"]) for f in facts.values()] == [(None, False)] * 2
    assert listening(dask_scheduler.scheduler_pid, *dask_scheduler.worker_pids) == {HOST}


def listening(*pids: int) -> set[str]:
    """The addresses these processes and their children listen on."""
    processes = [psutil.Process(pid) for pid in pids]
    processes += [c for p in processes for c in p.children(recursive=True)]
    return {c.laddr.ip for p in processes for c in p.net_connections("inet")
            if c.status == psutil.CONN_LISTEN}
