"""A self-learner's progress: the last self-study score of each lesson, kept on this machine.

`autograder score` records each score here (`record`); `autograder progress` lists every
graded lesson with its last score, when it was scored and what is left (`rows`). The file is
`progress.json` in the self-study folder, next to the kept feedback pages: by default
$XDG_DATA_HOME/autograder (~/.local/share/autograder), or the folder $AUTOGRADER_SELF_STUDY
names. One learner, one machine: it is never part of an instructor's gradebook.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.common.paths import ROOT
from autograder.common.units import DASH
from autograder.grading.outcome import GradeStatus

if TYPE_CHECKING:
    from autograder.course.outline import Lesson

FOLDER_VARIABLE = "AUTOGRADER_SELF_STUDY"
NOT_ATTEMPTED = "not attempted"
FULL_MARKS = "nothing: full marks"


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """The last self-study score of one lesson."""

    assignment: str
    status: GradeStatus
    score: float
    max_score: float
    date: str  # ISO 8601, local time, to the second
    left: tuple[str, ...] = ()  # the test cells that did not pass, by grade_id
    reason: str = ""  # the one-line reason
    feedback: str = ""  # the kept feedback page
    notebook: str = ""  # the notebook that was scored

    @property
    def done(self) -> bool:
        return self.status == GradeStatus.GRADED and not self.left and self.score >= self.max_score


def folder() -> Path:
    """Where the progress file and the kept feedback pages live."""
    chosen = os.environ.get(FOLDER_VARIABLE)
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "autograder"


def path() -> Path:
    return folder() / "progress.json"


def load() -> dict[str, Attempt]:
    """assignment -> its last attempt; an unreadable file counts as no progress yet."""
    try:
        data = json.loads(path().read_text())
        return {name: Attempt(**{**entry, "status": GradeStatus(entry["status"]),
                                 "left": tuple(entry.get("left", ()))})
                for name, entry in data["lessons"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def record(attempt: Attempt) -> Path:
    """Keep `attempt` as its lesson's last one (written whole or not at all)."""
    attempts = load()
    attempts[attempt.assignment] = attempt
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"lessons": {name: asdict(a) for name, a in
                                           sorted(attempts.items())}}, indent=1) + "\n")
    tmp.replace(target)
    return target


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def left_to_do(attempt: Attempt | None) -> str:
    if attempt is None:
        return NOT_ATTEMPTED
    if attempt.status != GradeStatus.GRADED:
        return f"not graded: {attempt.reason}"
    if attempt.done:
        return FULL_MARKS
    return ", ".join(attempt.left) or attempt.reason


def lessons(root: Path = ROOT) -> list[tuple[Lesson, Attempt | None]]:
    """Every graded lesson in course order, with its last attempt (None: not attempted)."""
    from autograder.course import outline

    attempts = load()
    return [(lesson, attempts.get(lesson.id)) for lesson in outline.lessons(root)
            if lesson.graded]


def rows(root: Path = ROOT) -> list[list[str]]:
    """lesson, title, score, date, left: one row per graded lesson, in course order."""
    return [[lesson.id, lesson.title,
             f"{attempt.score:g}/{attempt.max_score:g}" if attempt
             else f"{DASH}/{lesson.points:g}",
             attempt.date[:16].replace("T", " ") if attempt else DASH, left_to_do(attempt)]
            for lesson, attempt in lessons(root)]
