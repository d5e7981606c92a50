"""Tests for bench.setup: the install is timed from an empty venv made by the system
interpreter (not this venv's), which is deleted afterwards; quick mode times only the venv."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench import setup


def test_quick_run_times_an_empty_venv_and_deletes_it(tmp_path, monkeypatch):
    made = []

    def mkdtemp(prefix=""):
        path = tmp_path / f"{prefix}{len(made)}"
        path.mkdir()
        made.append(path)
        return str(path)

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    section = setup.run(quick=True)
    (venv,) = section.measurements
    assert venv.name.startswith("`python3.11 -m venv`") and venv.n == 1
    assert venv.median > 0
    assert any("pip install is skipped" in note for note in section.notes)
    assert made and not made[0].exists()  # the temporary venv is gone


def test_the_base_python_is_not_this_venvs():
    python = setup.base_python()
    assert Path(python).parent != Path(sys.executable).parent
    env = setup.clean_env()
    assert "VIRTUAL_ENV" not in env
    assert str(Path(sys.executable).parent) not in env["PATH"].split(":")


def test_folder_bytes_counts_files(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 23)
    assert setup.folder_bytes(tmp_path) == 123


def test_origins_count_downloads_and_local_wheel_bytes(tmp_path):
    wheel = tmp_path / "wheels" / "numpy 2.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"w" * 1000)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"install": [
        {"download_info": {"url": "file://" + str(wheel).replace(" ", "%20")}},
        {"download_info": {"url": "https://files.pythonhosted.org/x/torch.whl"}},
        {"download_info": {"url": f"file://{tmp_path}", "dir_info": {"editable": True}}},
    ]}))
    assert setup.origins(report) == (3, 1, 1000)
    assert setup.origins(tmp_path / "missing.json") == (0, 0, 0)
