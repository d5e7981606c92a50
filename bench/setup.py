"""Setup: how long `make lab`'s install step takes from an empty virtual environment.

Exactly the Makefile's two commands, into a temporary folder that is deleted afterwards:
`python3.11 -m venv TMP` and `TMP/bin/pip install --quiet -r requirements.txt -e .`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.common import units
from autograder.common.paths import ROOT
from bench.core import MB, Measurement, Section, progress, run_command

PIP_TIMEOUT = 900.0
_REMOVING: list[subprocess.Popen] = []  # kept so no ResourceWarning fires while they run


def base_python() -> str:
    """What the Makefile uses (`command -v python3.11 || command -v python3`), looked up on a
    PATH without this venv's bin/ (make bench puts it first), so the new venv is built from
    the system interpreter as `make lab` builds .venv."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and p != venv_bin)
    for name in ("python3.11", "python3"):
        found = shutil.which(name, path=path)
        if found:
            return found
    return getattr(sys, "_base_executable", sys.executable)


def clean_env() -> dict:
    """No trace of the running venv: a fresh install must not see it."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and p != venv_bin)
    return env


def folder_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def remove(folder: Path, *, background: bool) -> None:
    """Delete `folder`. A full install is ~60,000 files, which take half a minute to unlink on
    a slow disk; `rm -rf` in its own session does that after the section, off its clock."""
    if background and shutil.which("rm"):
        _REMOVING.append(subprocess.Popen(["rm", "-rf", "--", str(folder)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
    else:
        shutil.rmtree(folder, ignore_errors=True)


def pip_sources(pip: str, env: dict) -> tuple[str, int]:
    """(pip's configured sources, bytes in pip's cache), as pip itself reports them."""
    config = run_command([pip, "config", "list"], timeout=60, env=env)
    sources: dict[str, None] = {}
    for line in config.stdout.splitlines():  # e.g. global.find-links='/opt/wheels'
        key, _, value = line.partition("=")
        key = key.rsplit(".", 1)[-1]
        if key in ("index-url", "extra-index-url", "find-links", "no-index"):
            for item in value.strip("'\"").split():
                sources[f"{key} {item}"] = None
    cache = run_command([pip, "cache", "dir"], timeout=60, env=env)
    cache_dir = Path(cache.stdout.strip()) if cache.ok and cache.stdout.strip() else None
    cached = folder_bytes(cache_dir) if cache_dir and cache_dir.is_dir() else 0
    return ", ".join(sources) or "the default index (PyPI) only", cached


def origins(report: Path) -> tuple[int, int, int]:
    """From `pip install --report`: (packages installed, how many were downloaded over the
    network, bytes of the wheel files that came from local folders)."""
    from urllib.parse import unquote, urlparse

    try:
        installed = json.loads(report.read_text()).get("install", [])
    except (OSError, ValueError):
        return 0, 0, 0
    urls = [item.get("download_info", {}).get("url", "") for item in installed]
    local = [Path(unquote(urlparse(url).path)) for url in urls if url.startswith("file:")]
    wheels = sum(path.stat().st_size for path in local if path.is_file())
    return len(urls), len(urls) - len(local), wheels


def run(quick: bool = False) -> Section:
    start = time.perf_counter()
    python = base_python()
    env = clean_env()
    rows: list[Measurement] = []
    notes: list[str] = []
    install_notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-setup-"))
    venv = tmp / "venv"
    try:
        progress(f"setup: {Path(python).name} -m venv (empty environment)")
        created = run_command([python, "-m", "venv", str(venv)], timeout=300, env=env)
        if not created.ok:
            notes.append(f"Not measured: creating the venv failed: {created.problem}")
        else:
            rows.append(Measurement(f"`{Path(python).name} -m venv` (empty environment)", "s",
                                    (created.seconds,), note=python))
        if created.ok and not quick:
            pip = str(venv / "bin" / "pip")
            sources, cached = pip_sources(pip, env)
            warm = "warm" if cached > 50 * MB else "cold" if cached < MB else "nearly empty"
            progress("setup: pip install -r requirements.txt -e . (about a minute)")
            # --report only writes what pip resolved (where each package came from).
            installed = run_command([pip, "install", "--quiet", "-r", "requirements.txt",
                                     "-e", ".", "--report", str(tmp / "report.json")],
                                    timeout=PIP_TIMEOUT, cwd=ROOT, env=env)
            if not installed.ok:
                notes.append(f"pip install failed: {installed.problem}")
            else:
                size = folder_bytes(venv)
                count, downloaded, wheels = origins(tmp / "report.json")
                local = count - downloaded
                install_notes.append(
                    f"pip's cache held {units.size(cached)} before the install (**{warm}**). "
                    f"pip's sources here: {sources}. Of the {count} packages installed, "
                    f"**{downloaded} were downloaded** from an index over the network during "
                    f"the timed install (their download is in the time) and {local} came from "
                    f"local files ({units.size(wheels)} of wheels), whose download a machine "
                    "without such a mirror adds at its connection's speed.")
                rows.append(Measurement("`pip install -r requirements.txt -e .`", "s",
                                        (installed.seconds,),
                                        note=f"{count} packages, {units.size(size)} "
                                             "in the new venv"))
                rows.append(Measurement("install step in total (venv + pip)", "s",
                                        (created.seconds + installed.seconds,),
                                        note="what a first `make lab` waits for"))
    finally:
        remove(tmp, background=not quick)
    intro = f"""
The install step of `make lab` (and `make test`), from nothing: a new virtual environment made
with `{Path(python).name} -m venv`, then exactly the Makefile's
`pip install --quiet -r requirements.txt -e .` (every package pinned; torch is the CPU build;
`--report` is added to learn where each package came from),
run once (n = 1: it is long, and the first install is the one a learner waits for). The
environment is deleted afterwards, in the background. A second `make lab` skips this step (a
stamp file records that `requirements.txt` has not changed), so it costs seconds.
"""
    if install_notes:
        notes += install_notes
        notes.append("`pip install -e .` rewrites the course's `serialization_course.egg-info` "
                     "(git-ignored), as every `make install` does.")
    if quick:
        notes.append("Quick mode: only the venv is created; the pip install is skipped.")
    return Section("setup", "Setup", intro, rows, notes, time.perf_counter() - start)
