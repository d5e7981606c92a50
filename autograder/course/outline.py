"""The course's lessons in order, read from the student notebooks themselves.

    from autograder.course import outline

    outline.lessons()          # [Lesson(id="01-pickle", title=..., minutes=55, points=10), ...]
    outline.table()            # the same as a lesson table (00-start shows it)

A lesson's title is its notebook's first heading without the "Lesson NN ·" prefix; its time is
the one its header states (tests keep it within 10 % of the time model); its points are the sum
of its graded cells' points, 0 for an ungraded notebook (00-start, the self-assessment).
A notebook is ungraded when its metadata says `"autograder": {"graded": false}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.course import timing

__all__ = ["Lesson", "graded", "lessons", "table"]

_TITLE = re.compile(r"^#\s+(?:Lesson\s+\d+\s*·\s*)?(.+)$", re.M)


@dataclass(frozen=True, kw_only=True)
class Lesson:
    id: str
    title: str
    minutes: int | None  # as the header states it
    points: float  # 0 when ungraded
    graded: bool
    path: Path  # the student notebook

    @property
    def number(self) -> str:
        return self.id[:2]


def graded(notebook: dict) -> bool:
    """False only for notebooks marked `"autograder": {"graded": false}` in their metadata."""
    return notebook.get("metadata", {}).get("autograder", {}).get("graded", True) is not False


def points(notebook: dict) -> float:
    return sum(float(cell["metadata"]["nbgrader"].get("points", 0) or 0)
               for cell in notebook["cells"]
               if cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def read(path: Path) -> Lesson:
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    first = "".join(notebook["cells"][0]["source"]) if notebook["cells"] else ""
    match = _TITLE.search(first)
    title = re.sub(r"`([^`]*)`", r"\1", match[1].strip()) if match else Path(path).stem
    return Lesson(id=Path(path).stem, title=title, minutes=timing.stated_minutes(notebook),
                  points=points(notebook), graded=graded(notebook), path=Path(path))


def lessons(root: Path = ROOT) -> list[Lesson]:
    """Every student notebook in lessons/, in course order."""
    return [read(path) for path in sorted((root / "lessons").glob("[0-9][0-9]-*/*.ipynb"))
            if path.stem == path.parent.name]


def table(root: Path = ROOT):
    import pandas as pd

    from autograder.course.tables import Table

    rows = [{"lesson": lesson.number, "title": lesson.title,
             "time": 60 * lesson.minutes if lesson.minutes else None,
             "points": lesson.points if lesson.graded else None} for lesson in lessons(root)]
    total = sum(row["time"] or 0 for row in rows)
    return Table(pd.DataFrame(rows).set_index("lesson"),
                 {"title": "text", "time": "duration", "points": "count"},
                 title=f"The course in order: about {total / 3600:.0f} hours of core path; "
                       "a dash means not graded")
