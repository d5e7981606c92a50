"""Helpers for the browser tests: a throw-away copy of the course served by JupyterLab, Debian's
chromium driven by Playwright, and screenshots small enough to commit.

Nothing here downloads anything: chromium comes from apt (`make test` installs it), never from
`playwright install`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.common.isolation import kill_group
from autograder.common.paths import venv_environment

# Debian's chromium; CHROMIUM=/other/path points the tests at another build of it.
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Playwright adds --headless and a fresh --user-data-dir (a temporary profile) itself.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
BIN = Path(sys.executable).parent

# The nbgrader commands an instructor would run, in one process (each CLI call costs ~2 s):
# record every lesson in the copy's gradebook (formgrader lists it) and release it to the
# exchange (the students' Assignment List shows it).
_PUBLISH = """
import sys
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader

app = NbGrader()
app.load_config_file()
api = NbGraderAPI(config=app.config)
with api.gradebook as gradebook:
    for assignment in sys.argv[1:]:
        gradebook.update_or_create_assignment(assignment)
for assignment in sys.argv[1:]:
    result = api.release_assignment(assignment)
    if not result["success"]:
        sys.exit(f"release_assignment {assignment} failed: {result.get('error', '')[-300:]}")
"""


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (one line), or None when they can."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} not found: install Debian's chromium (`make test` does it as root, "
                "or `sudo apt-get install chromium`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: run `make install-test`"
    return None


@contextlib.contextmanager
def launched(timeout_ms: int):
    """Debian's chromium through Playwright, for a test module's fixture: skips with the reason
    where it cannot run, except under CI=true, where that is a failure."""
    import pytest

    reason = missing_browser()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=timeout_ms)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def copy_course(root: Path, dest: Path) -> Path:
    """Copy what JupyterLab and nbgrader need (not data/: `autograder` is installed)."""
    dest.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns("artifacts", ".ipynb_checkpoints", "__pycache__")
    for folder in ("lessons", "solutions"):
        shutil.copytree(root / folder, dest / folder, ignore=skip)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


def jupyter_env(home: Path) -> dict[str, str]:
    """Environment that keeps Jupyter's config, settings, workspaces and runtime files in `home`.

    The course's nbgrader_config.py is still read from the server's working directory; the one
    written to JUPYTER_CONFIG_DIR only points nbgrader's exchange at a temporary folder.
    """
    dirs = {name: home / name for name in ("config", "settings", "workspaces", "runtime",
                                           "ipython", "exchange")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    (dirs["config"] / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(dirs['exchange'])!r}\n")
    # No "get Jupyter news?" toast: it would cover the page in screenshots.
    news = dirs["settings"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return {
        **venv_environment(),
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "IPYTHONDIR": str(dirs["ipython"]),
    }


def publish_assignments(course: Path, env: dict[str, str], assignments: list[str]) -> None:
    """Add `assignments` to the copy's gradebook and release them to its exchange."""
    done = subprocess.run([sys.executable, "-c", _PUBLISH, *assignments], cwd=course, env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"publishing {assignments} failed: {done.stderr.strip()[-500:]}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A `jupyter lab` process serving `root` on a loopback port, with token authentication."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen
    log: Path

    @classmethod
    def start(cls, root: Path, env: dict[str, str], log: Path, token: str,
              timeout: float = 90) -> LabServer:
        port = free_port()
        command = [
            str(BIN / "jupyter"), "lab", "--no-browser",
            f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            # Safety net if the test process itself is killed: the server and its kernels
            # stop by themselves after 15 idle minutes.
            "--ServerApp.shutdown_no_activity_timeout=900",
            "--MappingKernelManager.cull_idle_timeout=900",
            "--MappingKernelManager.cull_interval=60",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        # Its own process group, so stop() can end the server and everything it started.
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        server = cls(root, port, token, process, log)
        try:
            server._wait_until_up(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def url(self, path: str = "lab", **query: str) -> str:
        params = "&".join([*(f"{k}={v}" for k, v in query.items()), f"token={self.token}"])
        return f"http://127.0.0.1:{self.port}/{path}?{params}"

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.url(f"api/{path}"), timeout=10) as response:
            return json.load(response)

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.process.returncode}: "
                                   f"{self.log_tail()}")
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)  # polling the server; there is no event to wait on
        raise TimeoutError(f"jupyter lab did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 20) -> None:
        """SIGTERM: the server shuts its kernels down and exits; SIGKILL the group if it hangs.

        Kernels run in sessions of their own, but ipykernel exits by itself when its parent
        process dies, so even a killed server leaves no kernel behind.
        """
        if self.process.poll() is not None:
            return
        kill_group(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            kill_group(self.process.pid)
            self.process.wait(5)


def screenshot_dir(root: Path, tmp: Path) -> Path:
    """docs/images when UPDATE_SCREENSHOTS=1, so ordinary test runs never touch the repo."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        path = root / "docs" / "images"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp


def save_png(png: bytes, path: Path, colors: int = 128) -> Path:
    """Write a screenshot as a palette PNG: UI screenshots keep their look at a fraction of
    the size, so the committed set stays small."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


TABLE_ROWS_JS = "t => [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()))"
