"""A Dask cluster on 127.0.0.1: one `dask scheduler` and N `dask worker` processes.

Each worker has one thread (one submission at a time, as each process of the local pool
does) and a nanny that restarts it if it dies. `start()` returns a `DaskCluster` whose
`address` is what `autograder grade --dask` takes; `stop()` ends every process it started.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.services import HOST, Unavailable, alive, start_session, stop_session, wait_for

NTHREADS = 1
SCHEDULER_FILE = "scheduler.json"
# No dashboard (it needs bokeh); its HTTP server (health checks, metrics) still starts, and
# would listen on every interface, at the fixed port 8787 for the scheduler.
NO_DASHBOARD = ("--no-dashboard", "--dashboard-address", f"{HOST}:0")


def worker_config() -> dict[str, object]:
    """Dask settings (dotted keys) for workers that grade as the local pool does.

    - A worker is not a daemon process, so it may start the single-threaded helper processes
      that fork each runner (`autograder.grading.distributed.helper_pool`).
    - The grader's own environment: a nanny would set one BLAS thread (OMP_NUM_THREADS=1 and
      friends) for every process its worker starts, kernels included. A None value unsets
      it; environment variables cannot say that (Dask lower-cases their keys), so `start`
      writes these settings to a config file."""
    import dask

    environ = "distributed.nanny.pre-spawn-environ"
    return {"distributed.worker.daemon": False,
            environ: dict.fromkeys(dask.config.get(environ))}


def worker_environment(folder: Path) -> dict[str, str]:
    """os.environ, with a Dask config folder (in `folder`) holding `worker_config()`."""
    import yaml

    nested: dict = {}
    for dotted, value in worker_config().items():
        *parents, last = dotted.split(".")
        node = nested
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    config = folder / "dask-config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "autograder.yaml").write_text(yaml.safe_dump(nested))
    return {**os.environ, "DASK_CONFIG": str(config)}


@dataclass(frozen=True)
class DaskCluster:
    """A running scheduler and its workers; `folder` holds their logs and scratch space."""

    address: str
    folder: str
    scheduler_pid: int
    worker_pids: tuple[int, ...]  # each worker's nanny (the session leader)

    @property
    def scheduler_file(self) -> Path:
        """What `dask worker --scheduler-file` reads to join this scheduler."""
        return Path(self.folder) / SCHEDULER_FILE

    def running(self) -> bool:
        return alive(self.scheduler_pid)

    def stop(self, *, remove: bool = True) -> None:
        for pid in (*self.worker_pids, self.scheduler_pid):
            stop_session(pid)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)


def _scheduler_address(path: Path) -> str | None:
    try:
        return json.loads(path.read_text())["address"]
    except (OSError, ValueError, KeyError):
        return None


def start_worker(scheduler_file: Path, folder: Path, name: str, **env: str) -> int:
    """One more worker (with its nanny) for the scheduler, `env` added to its environment;
    returns the nanny's pid."""
    process = start_session(
        [sys.executable, "-m", "dask", "worker", "--scheduler-file", str(scheduler_file),
         "--host", HOST, "--nthreads", str(NTHREADS), "--name", name, *NO_DASHBOARD,
         "--local-directory", str(folder / name), "--death-timeout", "60"],
        folder / f"{name}.log", env={**worker_environment(folder), **env})
    return process.pid


def start(workers: int = 2, *, idle_timeout: float | None = None,
          timeout: float = 120) -> DaskCluster:
    """A scheduler on a free loopback port and `workers` workers, each with one thread.

    `idle_timeout` (seconds) lets the scheduler end itself when nothing has used it for that
    long, a safety net for tests whose process is killed before it can stop the cluster."""
    from distributed import Client

    folder = Path(tempfile.mkdtemp(prefix="autograder-dask-"))
    scheduler_file = folder / SCHEDULER_FILE
    command = [sys.executable, "-m", "dask", "scheduler", "--host", HOST, "--port", "0",
               *NO_DASHBOARD, "--scheduler-file", str(scheduler_file)]
    if idle_timeout:
        command += ["--idle-timeout", f"{idle_timeout:g}s"]
    scheduler = start_session(command, folder / "scheduler.log")
    cluster = DaskCluster("", str(folder), scheduler.pid, ())
    try:
        wait_for(lambda: _scheduler_address(scheduler_file) is not None,
                 lambda: scheduler.poll() is None, timeout, "the Dask scheduler",
                 folder / "scheduler.log")
        pids = tuple(start_worker(scheduler_file, folder, f"worker-{i}")
                     for i in range(workers))
        cluster = DaskCluster(_scheduler_address(scheduler_file), str(folder), scheduler.pid,
                              pids)
        if not workers:
            return cluster
        with Client(cluster.address, timeout=timeout) as client:
            try:
                client.wait_for_workers(workers, timeout=timeout)
            except TimeoutError as exc:
                raise Unavailable(f"{workers} Dask workers did not join within {timeout:g} s: "
                                  f"see {folder}/worker-*.log") from exc
    except BaseException:
        cluster.stop(remove=False)
        raise
    return cluster
