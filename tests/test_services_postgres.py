"""autograder.services.postgres: Debian's server, started by the project on 127.0.0.1."""

import os
import pwd
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from autograder import services
from autograder.services import HOST, postgres


def test_the_server_is_found_where_debian_keeps_it(postgres_server):
    folder = postgres.bin_dir()
    assert (folder / "initdb").is_file() and (folder / "postgres").is_file()
    assert postgres.install().startswith("PostgreSQL found in ")


def test_it_listens_on_loopback_only_as_an_unprivileged_user(postgres_server):
    server = psutil.Process(postgres_server.pid)
    listening = {c.laddr for c in server.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening == {(HOST, postgres_server.port)}
    if os.geteuid() == 0:  # PostgreSQL refuses root: it runs as the package's own user
        assert server.username() in postgres.RUN_AS and server.username() != "root"
    else:
        assert server.username() == pwd.getpwuid(os.getuid()).pw_name
    data = Path(postgres_server.folder) / "data"
    assert data.is_dir() and Path(postgres_server.folder).parent == Path(tempfile.gettempdir())


def test_it_takes_its_own_password_only(postgres_server):
    import psycopg

    with psycopg.connect(postgres_server.url(), connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    wrong = postgres_server.url().replace(postgres_server.password, "guess")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)


def test_nbgrader_keeps_a_gradebook_in_it(gradebook_url):
    """In tables made as nbgrader makes them, stamped with its schema version
    (`new_server_gradebook`: without nbgrader's `alembic heads` subprocess)."""
    import psycopg
    from nbgrader.api import Gradebook

    from autograder.grading.gradebook import new_server_gradebook

    new_server_gradebook(gradebook_url)
    new_server_gradebook(gradebook_url)  # a database with tables is left as it is
    with psycopg.connect(gradebook_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM alembic_version").fetchone() == (1,)
    with Gradebook(gradebook_url, "course") as gb:
        gb.add_assignment("a1")
        gb.add_student("ada")
        gb.add_submission("a1", "ada")
    with Gradebook(gradebook_url, "course") as gb:  # a new connection reads it back
        assert [s.student.id for s in gb.assignment_submissions("a1")] == ["ada"]


def test_stop_ends_the_server_and_removes_its_data():
    server = postgres.start(owner=os.getpid())
    assert server.running() and server.answers()
    server.stop()
    assert not server.running() and not Path(server.folder).exists()


def test_a_server_whose_owner_is_killed_stops_and_is_removed():
    """A test run killed before its fixture can stop the server leaves nothing behind."""
    owner = subprocess.Popen(["sleep", "600"])
    server = postgres.start(owner=owner.pid)
    try:
        assert server.answers()
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 45  # fast shutdown, else SIGKILL after 30 s
        while (server.running() or Path(server.folder).exists()) and \
                time.monotonic() < deadline:
            time.sleep(0.2)  # the watchdog works on its own: nothing to wait on here
        assert not server.running(), "the server outlived its owner"
        assert not Path(server.folder).exists(), "the server's folder was left behind"
    finally:
        server.stop()


def test_the_watchdog_leaves_when_the_server_stops_first():
    server = postgres.start(owner=os.getpid())
    watchdogs = [p for p in psutil.process_iter(["cmdline"])
                 if services._WATCHDOG in (p.info["cmdline"] or [])
                 and str(server.pid) in (p.info["cmdline"] or [])]
    assert len(watchdogs) == 1
    server.stop()
    watchdogs[0].wait(timeout=10)  # psutil: raises TimeoutExpired if it is still there
