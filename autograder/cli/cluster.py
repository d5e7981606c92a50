"""Grading past one machine, on this one: a Dask cluster and a PostgreSQL gradebook on 127.0.0.1.

    autograder cluster start [--workers 2]   a Dask scheduler, its workers, and a PostgreSQL
                                             server with an empty `gradebook` database
                                             (`make cluster`); prints what `grade` takes
    autograder cluster stop                  stop them, data included (`make cluster-stop`)
    autograder cluster status                what runs, with its addresses
    autograder cluster install               install Debian's PostgreSQL if it is missing

What was started is written to .cluster.json in the course (its password included, readable
by you only), so `stop` finds it from any shell.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from autograder.common.paths import ROOT

HELP = "start or stop a loopback Dask cluster and PostgreSQL gradebook"
STATE = ROOT / ".cluster.json"
DATABASE = "gradebook"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("start", "stop", "status", "install"))
    p.add_argument("--workers", type=int, default=2, help="Dask workers, one thread each "
                   "(default 2)")
    p.add_argument("--state", type=Path, default=STATE, help=argparse.SUPPRESS)


def load(state: Path):
    """(DaskCluster, Postgres, database URL) from the state file, or None."""
    from autograder.services.dask_cluster import DaskCluster
    from autograder.services.postgres import Postgres

    try:
        data = json.loads(state.read_text())
    except (OSError, ValueError):
        return None
    dask = data["dask"]
    return (DaskCluster(**{**dask, "worker_pids": tuple(dask["worker_pids"])}),
            Postgres(**data["postgres"]), data["db"])


def save(state: Path, dask, postgres, db: str) -> None:
    state.touch(mode=0o600)
    state.write_text(json.dumps({"dask": asdict(dask), "postgres": asdict(postgres),
                                 "db": db}, indent=1))


def describe(dask, postgres, db: str) -> str:
    def up(service) -> str:
        return "" if service.running() else "  (NOT RUNNING)"

    return (f"Dask scheduler  {dask.address}  ({len(dask.worker_pids)} workers){up(dask)}\n"
            f"PostgreSQL      {db}{up(postgres)}\n"
            f"Grade with:     autograder grade ASSIGNMENT --dask {dask.address} --db '{db}'\n"
            f"Logs:           {dask.folder}/, {postgres.folder}/server.log")


def run(args) -> int:
    from autograder.cli import UsageError
    from autograder.services import dask_cluster, postgres

    running = load(args.state)
    if args.action == "install":
        print(postgres.install())
        return 0
    if args.action == "status":
        print(describe(*running) if running else "No cluster started from this course.")
        return 0
    if args.action == "stop":
        if not running:
            print("No cluster started from this course: nothing to stop.")
            return 0
        dask, server, _ = running
        dask.stop()
        server.stop()
        args.state.unlink()
        print(f"Stopped the Dask cluster at {dask.address} and PostgreSQL on port "
              f"{server.port} (their folders removed).")
        return 0
    if running and (running[0].running() or running[1].running()):
        raise UsageError(f"a cluster is already running ({args.state}): "
                         "`make cluster-stop` first")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    server = postgres.start()
    try:
        db = server.create_database(DATABASE)
        dask = dask_cluster.start(args.workers)
    except BaseException:
        server.stop()
        raise
    save(args.state, dask, server, db)
    print(describe(dask, server, db))
    print("Stop them with `make cluster-stop` (or `autograder cluster stop`).")
    return 0
