"""Where the course lives, its nbgrader settings, and the environment its tools run in.

`ROOT` is the course repository (an nbgrader course directory): the folder that holds
`nbgrader_config.py`, `solutions/`, `lessons/` and `samples/`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def course_config(root: Path = ROOT):
    """The traitlets Config that a course directory's `nbgrader_config.py` defines."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _first(entry: str, value: str) -> str:
    """`value` (an os.pathsep list) with `entry` first and not repeated further on."""
    rest = [part for part in value.split(os.pathsep) if part and part != entry]
    return os.pathsep.join([entry, *rest])


def venv_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: os.environ) as this interpreter's environment needs it: its bin/ first
    on PATH (nbgrader runs `alembic` from PATH) and its share/jupyter first on JUPYTER_PATH
    (its python3 kernel wins over a user-level kernelspec of the same name)."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = _first(str(Path(sys.executable).parent), env.get("PATH", ""))
    env["JUPYTER_PATH"] = _first(str(Path(sys.prefix) / "share" / "jupyter"),
                                 env.get("JUPYTER_PATH", ""))
    return env
