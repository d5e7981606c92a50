"""Where the course lives, and its nbgrader settings.

`ROOT` is the course repository (an nbgrader course directory): the folder that holds
`nbgrader_config.py`, `solutions/`, `lessons/` and `samples/`.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def course_config(root: Path = ROOT):
    """The traitlets Config that a course directory's `nbgrader_config.py` defines."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
