"""Start, stop and look at the course's hub: what `autograder hub start|stop|status` runs.

`start` prepares HUB_DIR (accounts, exchange, course, config), starts `jupyterhub` in its own
session with its log in HUB_DIR/jupyterhub.log, waits until the hub answers through its proxy,
and returns the accounts. `stop` ends the hub (which stops the users' servers, the grading
service and the proxy it started) and then anything of the hub's still running.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from autograder.common.paths import ROOT, course_config
from autograder.common.text import last_line
from autograder.hub import roster as rosters
from autograder.hub import setup
from autograder.hub.config import course_env, write_config_file
from autograder.hub.settings import DEFAULT_DIR, HubSettings

LOG = "jupyterhub.log"


class HubError(RuntimeError):
    """The hub could not be started or stopped (one line)."""


@dataclass(frozen=True)
class Started:
    settings: HubSettings
    passwords: dict[str, str]
    created: tuple[str, ...]  # accounts made by this start
    pid: int
    already_running: bool = False


def course_assignments(source: Path) -> list[str]:
    return sorted(p.name for p in setup.source_folder(source).iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def hub_pid(hub_dir: Path) -> int | None:
    """The running hub's pid, from the pid file JupyterHub writes, if that process is alive."""
    path = Path(hub_dir) / "jupyterhub.pid"
    with contextlib.suppress(FileNotFoundError, ValueError):
        pid = int(path.read_text().strip())
        with contextlib.suppress(psutil.Error):
            if "jupyterhub" in " ".join(psutil.Process(pid).cmdline()):
                return pid
    return None


def start(roster_file: Path, *, hub_dir: Path = DEFAULT_DIR, source: Path = ROOT,
          port: int = 8000, hub_port: int = 8081, proxy_api_port: int = 8001,
          concurrency: int = 2, batch: int = 8, extra_config: Path | None = None,
          assignments: list[str] | None = None,
          timeout: float = 120) -> Started:
    roster = rosters.load(roster_file)
    hub_dir, source = Path(hub_dir).absolute(), Path(source).absolute()
    course_id = course_config(source).CourseDirectory.get("course_id", "default_course")
    settings = HubSettings(hub_dir=str(hub_dir), course_id=course_id,
                           instructor=roster.instructor.name,
                           students=tuple(a.name for a in roster.students), port=port,
                           hub_port=hub_port, proxy_api_port=proxy_api_port,
                           concurrency=concurrency, batch=batch,
                           extra_config=str(Path(extra_config).absolute()) if extra_config else "")
    if not Path(settings.proxy).exists():
        raise HubError(f"{settings.proxy} is missing: run `make install` (npm ci)")
    running = hub_pid(hub_dir)
    if running is not None:
        passwords = json.loads(settings.passwords_file.read_text())
        return Started(HubSettings.load(hub_dir), passwords, (), running, True)
    created = setup.prepare(settings, roster, source, assignments or course_assignments(source))
    settings.save()
    passwords = rosters.issue_passwords(roster, settings.passwords_file, settings.hashes_file)
    config = write_config_file(settings)
    with open(hub_dir / LOG, "ab") as log:
        process = subprocess.Popen([str(settings.bin / "jupyterhub"), "-f", str(config)],
                                   cwd=hub_dir, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **course_env(settings)},
                                   start_new_session=True)
    try:
        wait_until_up(settings, process, timeout)
    except BaseException:
        stop(hub_dir)
        raise
    return Started(settings, passwords, tuple(created), process.pid)


def wait_until_up(settings: HubSettings, process: subprocess.Popen, timeout: float) -> None:
    """The hub's API answers through the proxy (so both are up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HubError(f"jupyterhub exited with code {process.returncode}: "
                           f"{last_line(log_tail(settings.dir))}")
        try:
            with urllib.request.urlopen(f"{settings.url}hub/api/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # polling a starting server: there is nothing to wait on
    raise HubError(f"the hub did not answer at {settings.url} within {timeout:.0f} s: "
                   f"{last_line(log_tail(settings.dir))}")


def log_tail(hub_dir: Path, lines: int = 20) -> str:
    path = Path(hub_dir) / LOG
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def hub_processes(settings: HubSettings) -> list[psutil.Process]:
    """Processes of the hub's accounts, and the proxy the hub started."""
    uids = set()
    for name in (settings.instructor, *settings.students):
        with contextlib.suppress(KeyError):
            if setup.is_ours(name):
                uids.add(pwd.getpwnam(name).pw_uid)
    found = [p for p in psutil.process_iter(["uids", "cmdline"])
             if p.info["uids"] and p.info["uids"].real in uids]
    with contextlib.suppress(FileNotFoundError, ValueError, psutil.Error):
        proxy = psutil.Process(int((settings.dir / "proxy.pid").read_text().strip()))
        if "configurable-http-proxy" in " ".join(proxy.cmdline()):
            found.append(proxy)
    return found


def terminate(processes: list[psutil.Process], grace: float) -> None:
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)


def stop(hub_dir: Path = DEFAULT_DIR, *, purge: bool = False, grace: float = 60) -> list[str]:
    """Stop the hub and everything it started; with purge, remove its accounts and HUB_DIR.
    Returns what was done, one line each."""
    hub_dir = Path(hub_dir).absolute()
    done = []
    pid = hub_pid(hub_dir)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # the hub stops servers, the service and the proxy
        try:
            psutil.Process(pid).wait(grace)
        except psutil.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
        done.append(f"stopped the hub (pid {pid})")
    settings = HubSettings.load(hub_dir) if (hub_dir / "settings.json").exists() else None
    if settings is not None:
        left = hub_processes(settings)
        if left:
            terminate(left, grace=10)
            done.append(f"ended {len(left)} process(es) the hub left behind")
        if purge:
            removed = [n for n in (settings.instructor, *settings.students)
                       if setup.remove_account(n)]
            setup.revoke_traversal(hub_dir)
            done.append(f"removed {len(removed)} account(s)")
    if purge and hub_dir.exists():
        shutil.rmtree(hub_dir)
        done.append(f"removed {hub_dir}")
    return done or ["no hub was running"]
