"""The course for a whole class: JupyterHub with nbgrader's exchange and grading on submit.

    autograder hub start [--roster hub/roster.toml] [--port 8000]   (as root; `make hub`)
    autograder hub status
    autograder hub stop [--purge]                                     (`make hub-stop`)

`start` creates a Unix account per roster name (home under HUB_DIR/homes), nbgrader's
exchange, the instructor's course directory, and starts JupyterHub on 127.0.0.1 with the
grading service; it prints the URL and each account's password. `stop` stops everything the
hub started; `--purge` also removes its accounts (and their homes) and HUB_DIR.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run the course on JupyterHub for a class: start, status, stop"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from autograder.hub.settings import DEFAULT_DIR

    p.add_argument("action", choices=("start", "status", "stop"))
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                   help=f"the hub's folder: homes, exchange, database, logs "
                        f"(default {DEFAULT_DIR})")
    p.add_argument("--roster", type=Path, default=Path("hub/roster.toml"),
                   help="instructor and students (default hub/roster.toml)")
    p.add_argument("--port", type=int, default=8000, help="public port on 127.0.0.1")
    p.add_argument("--concurrency", type=int, default=2,
                   help="submissions the grading service grades at the same moment (default 2)")
    p.add_argument("--batch", type=int, default=8,
                   help="at most this many waiting submissions of one assignment per grader "
                        "run (default 8)")
    p.add_argument("--config", type=Path, default=None,
                   help="a jupyterhub_config.py of yours, read after the course's (e.g. your "
                        "department's authenticator)")
    p.add_argument("--purge", action="store_true",
                   help="with stop: also remove the hub's accounts, their homes and --dir")


def run(args) -> int:
    from autograder.hub import control
    from autograder.hub.roster import RosterError
    from autograder.hub.setup import SetupError

    if args.action == "stop":
        for line in control.stop(args.dir, purge=args.purge):
            print(line)
        return 0
    if args.action == "status":
        return print_status(args.dir)
    try:
        started = control.start(args.roster, hub_dir=args.dir, port=args.port,
                                concurrency=args.concurrency, batch=args.batch,
                                extra_config=args.config)
    except (RosterError, SetupError, control.HubError) as exc:
        print(f"error: {exc}")
        return 2
    print_started(started)
    return 0


def print_started(started) -> None:
    s = started.settings
    state = "already running" if started.already_running else "started"
    print(f"\nJupyterHub {state} for course '{s.course_id}': {s.url}")
    print(f"  log: {s.dir / 'jupyterhub.log'}    stop: make hub-stop")
    print(f"  grading on submit: {s.concurrency} at once, up to {s.batch} a run; the "
          f"instructor's course is {s.course_dir}\n")
    width = max(len(n) for n in started.passwords)
    print(f"  {'account':<{width}}  role        password")
    for name, password in started.passwords.items():
        role = "instructor" if name == s.instructor else "student"
        print(f"  {name:<{width}}  {role:<10}  {password}")
    if started.created:
        print(f"\n  created Unix accounts: {', '.join(started.created)}")


def print_status(hub_dir: Path) -> int:
    from autograder.hub import control
    from autograder.hub.journal import Journal
    from autograder.hub.settings import HubSettings

    pid = control.hub_pid(hub_dir)
    if pid is None:
        print("the hub is not running")
        return 1
    settings = HubSettings.load(hub_dir)
    print(f"the hub is running (pid {pid}) at {settings.url}")
    journal = settings.service_dir / Journal.FILE
    if journal.exists():
        for line in Journal(journal, readonly=True).summary():
            print(f"  {line}")
    return 0
