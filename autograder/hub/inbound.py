"""The grading service's side of nbgrader's exchange: what students submitted, and handing
feedback back.

A submission is a folder in the course's inbound/, named by nbgrader's submit as
`student+assignment+timestamp+random`. Collecting and releasing feedback are nbgrader's own
exchange classes (`ExchangeCollect`, `ExchangeReleaseFeedback`) run on the instructor's course
directory, so the Assignment List finds the feedback exactly as after `nbgrader
release_feedback`.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from autograder.common.paths import course_config
from autograder.hub.settings import HubSettings


class ExchangeError(RuntimeError):
    """nbgrader's exchange refused a step (one line)."""


class Superseded(ExchangeError):
    """A later submission of the same student arrived before this one was collected."""


@dataclass(frozen=True)
class Submission:
    name: str  # the inbound folder's name
    student: str
    assignment: str
    timestamp: str  # nbgrader's text, as in the folder name and its timestamp.txt
    submitted: float  # the same as a Unix time
    owner: int  # uid owning the folder: the account that really submitted it

    @property
    def key(self) -> tuple[str, str]:
        return self.student, self.assignment


def inbound(settings: HubSettings) -> Path:
    return settings.exchange / settings.course_id / "inbound"


def releases(settings: HubSettings) -> dict[str, int]:
    """Each released assignment (a folder in outbound/) with a stamp that changes when it is
    released again (the folder's ctime: nbgrader's release copies it anew)."""
    outbound = settings.exchange / settings.course_id / "outbound"
    with os.scandir(outbound) as entries:
        return {e.name: e.stat(follow_symlinks=False).st_ctime_ns for e in entries
                if e.is_dir(follow_symlinks=False)}


def parse(entry: os.DirEntry) -> Submission | None:
    """A submission folder, or None for anything else (a half-written name, a stray file)."""
    from nbgrader.utils import parse_utc

    parts = entry.name.rsplit("+", 3)
    if len(parts) != 4 or not entry.is_dir(follow_symlinks=False):
        return None
    student, assignment, timestamp, _ = parts
    try:
        submitted = parse_utc(timestamp).timestamp()
        owner = entry.stat(follow_symlinks=False).st_uid
    except (ValueError, OverflowError, FileNotFoundError):
        return None
    return Submission(entry.name, student, assignment, timestamp, submitted, owner)


def scan(folder: Path) -> list[Submission]:
    """Every submission folder, oldest first; a folder is complete once timestamp.txt is in it
    (nbgrader's submit writes it after copying the notebooks)."""
    with os.scandir(folder) as entries:
        found = [s for s in map(parse, entries) if s is not None]
    return sorted((s for s in found if (folder / s.name / "timestamp.txt").is_file()),
                  key=lambda s: s.submitted)


def latest(submissions: list[Submission]) -> dict[tuple[str, str], Submission]:
    """Each student's latest submission of each assignment: the only one that counts."""
    newest: dict[tuple[str, str], Submission] = {}
    for submission in submissions:
        if submission.key not in newest or submission.submitted >= newest[submission.key].submitted:
            newest[submission.key] = submission
    return newest


def owned_by_student(submission: Submission) -> bool:
    """nbgrader only warns when a folder claims another student's name; here it is refused."""
    try:
        return pwd.getpwnam(submission.student).pw_uid == submission.owner
    except KeyError:
        return False


def nbgrader_config(settings: HubSettings) -> Config:
    """The instructor's: the course's own settings, its exchange and course id."""
    config = course_config(settings.course_dir)
    config.CourseDirectory.root = str(settings.course_dir)
    config.CourseDirectory.course_id = settings.course_id
    config.Exchange.root = str(settings.exchange)
    return config


def _run(app_class, settings: HubSettings, assignment: str, student: str, **traits):
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeError as NbgraderExchangeError

    config = nbgrader_config(settings)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    app = app_class(coursedir=coursedir, authenticator=Authenticator(config=config),
                    config=config, **traits)
    try:
        app.start()
    except NbgraderExchangeError as exc:
        raise ExchangeError(f"{app_class.__name__} {student}/{assignment}: {exc}") from exc


def collect(settings: HubSettings, submission: Submission) -> Path:
    """nbgrader's collect of this student's latest submission into the course's submitted/.
    Fails if a newer one arrived meanwhile (the next look at the exchange grades that one)."""
    from nbgrader.exchange.default import ExchangeCollect

    _run(ExchangeCollect, settings, submission.assignment, submission.student, update=True)
    folder = settings.course_dir / "submitted" / submission.student / submission.assignment
    stamp = folder / "timestamp.txt"
    if not stamp.is_file() or stamp.read_text().strip() != submission.timestamp.strip():
        raise Superseded(f"collect {submission.name}: a later submission was collected")
    return folder


def release_feedback(settings: HubSettings, student: str, assignment: str) -> int:
    """nbgrader's release_feedback for one student; how many feedback pages went out."""
    from nbgrader.exchange.default import ExchangeReleaseFeedback

    pages = list((settings.course_dir / "feedback" / student / assignment).glob("*.html"))
    if not pages:
        raise ExchangeError(f"no feedback for {student}/{assignment} to release")
    _run(ExchangeReleaseFeedback, settings, assignment, student)
    return len(pages)


def gradebook_url(settings: HubSettings) -> str:
    return nbgrader_config(settings).CourseDirectory.get("db_url") or \
        f"sqlite:///{settings.course_dir / 'gradebook.db'}"


def register_students(settings: HubSettings) -> None:
    """The roster's students in the course's gradebook, so formgrader lists the whole class
    before anyone submits (nbgrader would add each one at their first grading)."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(settings), settings.course_id) as gradebook:
        for student in settings.students:
            gradebook.update_or_create_student(student)


def score(settings: HubSettings, student: str, assignment: str) -> tuple[float, float]:
    """(score, max_score) of the student's graded submission in the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(settings), settings.course_id) as gradebook:
        found = gradebook.find_submission(assignment, student)
        return found.score, found.max_score
