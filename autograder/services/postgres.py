"""PostgreSQL for the gradebook: Debian's server, started by the project on 127.0.0.1.

`install()` finds the server (on PATH, or in /usr/lib/postgresql/VERSION/bin where Debian keeps
initdb and pg_ctl) and installs Debian's `postgresql` package with apt-get when it is missing
and this is root; without a default cluster or a system service, since the project runs its
own. `start()` makes a new server in a temporary folder (`initdb`), as an unprivileged user
(PostgreSQL refuses to run as root: the package's `postgres` user then), listening on one
loopback port with a password made for it alone, and returns a `Postgres` whose `url()` is
what nbgrader's `db_url` takes.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.services import (
    HOST,
    Unavailable,
    alive,
    free_port,
    start_session,
    stop_session,
    stop_with_owner,
    wait_for,
)

DEBIAN = Path("/usr/lib/postgresql")
SUPERUSER = "autograder"
RUN_AS = ("postgres", "nobody")  # when root: the package's own user, else any unprivileged one
# Debian's package would create and start a cluster of its own on port 5432; the project
# starts its servers itself, so the installation makes none.
NO_MAIN_CLUSTER = Path("/etc/postgresql-common/createcluster.d/autograder.conf")
# How pg_ctl's shutdown modes are signalled to the server.
SHUTDOWN = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}


def _version(folder: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", folder.parent.name)) or (0,)


def bin_dir() -> Path:
    """The folder holding initdb and postgres; Unavailable when the server is not installed."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted(DEBIAN.glob("*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise Unavailable("PostgreSQL is not installed (no initdb on PATH or in "
                      f"{DEBIAN}/*/bin): `make install-test` installs Debian's package as root")


def install() -> str:
    """Make sure the server is installed; returns what was found or done (one line)."""
    try:
        return f"PostgreSQL found in {bin_dir()}"
    except Unavailable:
        pass
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable("PostgreSQL is not installed, and installing it needs root and "
                          "apt-get: run `sudo apt-get install postgresql`")
    NO_MAIN_CLUSTER.parent.mkdir(parents=True, exist_ok=True)
    NO_MAIN_CLUSTER.write_text("# written by the course's setup: it starts servers itself\n"
                               "create_main_cluster = false\n")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                     "postgresql"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise Unavailable(f"`{' '.join(command)}` failed: {why[0]}")
    return f"installed Debian's PostgreSQL in {bin_dir()}"


def _run_as() -> dict:
    """Popen arguments that drop root to an unprivileged user; none when not root."""
    if os.geteuid() != 0:
        return {}
    for name in RUN_AS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise Unavailable(f"running as root and no unprivileged user ({', '.join(RUN_AS)}) "
                      "to run PostgreSQL as")


def _environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}


@dataclass(frozen=True)
class Postgres:
    """A running server: its folder (data/, server.log, the socket), port and password."""

    folder: str
    port: int
    password: str
    pid: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@{HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        import psycopg
        from psycopg import sql

        # autocommit: CREATE DATABASE cannot run inside a transaction
        with psycopg.connect(self.url(), connect_timeout=10, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def answers(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.url(), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def running(self) -> bool:
        return alive(self.pid)

    def restart(self) -> Postgres:
        """The same server (data, port, password) started again after `stop(remove=False)`."""
        return serve(Path(self.folder), self.port, self.password)

    def stop(self, mode: str = "fast", *, remove: bool = True) -> None:
        """Shut the server down (pg_ctl's modes: smart, fast, immediate); `remove` deletes
        its folder, data included."""
        if self.running():
            os.kill(self.pid, SHUTDOWN[mode])
            deadline = time.monotonic() + 30
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.1)
            stop_session(self.pid, grace=5)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(port: int = 0, *, timeout: float = 60, owner: int | None = None) -> Postgres:
    """A new server in a new temporary folder, listening on 127.0.0.1:`port` (0: a free one).

    With `owner` (a pid), the server is fast-shut-down and its folder removed when that process
    ends, even killed: a test run's server does not outlive it."""
    binaries = bin_dir()
    as_user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="autograder-postgres-"))
    password = secrets.token_urlsafe(24)
    (folder / "password").write_text(password)
    if as_user:
        for path in (folder, folder / "password"):
            os.chown(path, as_user["user"], as_user["group"])
    done = subprocess.run(
        [str(binaries / "initdb"), "-D", str(folder / "data"), "-U", SUPERUSER,
         f"--pwfile={folder / 'password'}", "--auth=scram-sha-256", "-E", "UTF8",
         "--no-locale", "--no-sync"],
        capture_output=True, text=True, cwd=folder, env=_environment(), **as_user)
    (folder / "password").unlink()
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"initdb failed: {(done.stderr or done.stdout).strip()[-300:]}")
    server = serve(folder, port or free_port(), password, timeout=timeout)
    if owner is not None:
        stop_with_owner(owner, server.pid, SHUTDOWN["fast"], folder)
    return server


def serve(folder: Path, port: int, password: str, *, timeout: float = 60) -> Postgres:
    """Run the server whose data is in `folder`/data; returns once it answers."""
    process = start_session(
        [str(bin_dir() / "postgres"), "-D", str(folder / "data"), "-p", str(port),
         "-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={folder}"],
        folder / "server.log", cwd=folder, env=_environment(), **_run_as())
    server = Postgres(str(folder), port, password, process.pid)
    try:
        wait_for(server.answers, lambda: process.poll() is None, timeout,
                 f"PostgreSQL on {HOST}:{port}", folder / "server.log")
    except BaseException:
        server.stop("immediate")
        raise
    return server
