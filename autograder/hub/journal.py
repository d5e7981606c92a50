"""The grading service's memory: every submission it has seen and every grading it started.

A SQLite file in the service's folder. The queue itself is never stored: at each look at the
exchange it is rebuilt from the inbound folder and this journal, so a restart loses nothing.
A grading attempt is written before its process starts and closed when it ends; one still open
at a start was cut short (the service was killed) and is graded again. A submission counts as
graded once, when its attempt finished and its result was written here. Each release whose
solution the service measured is kept too, so a restart does not measure it again.
"""

from __future__ import annotations

import sqlite3
import time
from enum import StrEnum
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    name TEXT PRIMARY KEY,          -- the inbound folder: student+assignment+timestamp+random
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    timestamp TEXT NOT NULL,        -- nbgrader's, when the student submitted (UTC)
    submitted REAL NOT NULL,        -- the same, as a Unix time
    seen REAL NOT NULL,             -- when the service first saw it
    state TEXT NOT NULL,
    score REAL,
    max_score REAL,
    graded REAL,
    released REAL,
    hold_until REAL,
    note TEXT
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    submission TEXT NOT NULL REFERENCES submissions(name),
    started REAL NOT NULL,
    finished REAL,
    pgid INTEGER,
    outcome TEXT
);
CREATE TABLE IF NOT EXISTS releases (
    assignment TEXT PRIMARY KEY,
    stamp INTEGER NOT NULL,         -- inbound.releases(): changes when it is released again
    measured REAL NOT NULL,         -- when the service measured its solution
    note TEXT                       -- the limits, or why the measurement failed
);
"""


class State(StrEnum):
    SEEN = "seen"              # waiting: queued, or grading on submit is off for it
    GRADING = "grading"
    GRADED = "graded"          # feedback released, or held until hold_until
    SUPERSEDED = "superseded"  # a later submission of the same student replaced it
    FAILED = "failed"          # the grader could not grade it (note says why)
    REFUSED = "refused"        # not a roster student's own submission


class Outcome(StrEnum):
    GRADED = "graded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the service died or was stopped while it ran
    SUPERSEDED = "superseded"  # a later submission was collected instead


DONE = (State.GRADED, State.FAILED, State.REFUSED, State.SUPERSEDED)


class Journal:
    FILE = "journal.sqlite"

    def __init__(self, path: Path, readonly: bool = False):
        uri = f"file:{path}{'?mode=ro' if readonly else ''}"
        self.db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        if not readonly:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- submissions ---

    def add(self, name: str, student: str, assignment: str, timestamp: str,
            submitted: float) -> bool:
        """Record a submission the first time it is seen; True if it was new."""
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO submissions (name, student, assignment, timestamp, "
            "submitted, seen, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, student, assignment, timestamp, submitted, time.time(), State.SEEN))
        return cursor.rowcount == 1

    def states(self) -> dict[str, str]:
        """Every submission's state, in one query (the service asks at every look)."""
        return dict(self.db.execute("SELECT name, state FROM submissions").fetchall())

    def get(self, name: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM submissions WHERE name = ?", (name,)).fetchone()

    def set_state(self, name: str, state: State, note: str | None = None) -> None:
        self.db.execute("UPDATE submissions SET state = ?, note = ? WHERE name = ?",
                        (state, note, name))

    def graded(self, name: str, score: float, max_score: float, hold_until: float | None,
               attempt: int) -> None:
        """The result and the closed attempt, in one transaction: graded exactly once."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(
                "UPDATE submissions SET state = ?, score = ?, max_score = ?, graded = ?, "
                "hold_until = ?, note = NULL WHERE name = ?",
                (State.GRADED, score, max_score, now, hold_until, name))
            self.db.execute("UPDATE attempts SET finished = ?, outcome = ? WHERE id = ?",
                            (now, Outcome.GRADED, attempt))

    def failed(self, name: str, note: str, attempt: int, state: State = State.FAILED) -> None:
        """Not graded (FAILED, or SUPERSEDED when a later submission turned up first)."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE submissions SET state = ?, note = ? WHERE name = ?",
                            (state, note, name))
            self.db.execute("UPDATE attempts SET finished = ?, outcome = ? WHERE id = ?",
                            (now, Outcome.FAILED if state == State.FAILED else state, attempt))

    def released(self, name: str) -> None:
        self.db.execute("UPDATE submissions SET released = ? WHERE name = ?",
                        (time.time(), name))

    def to_release(self, now: float) -> list[sqlite3.Row]:
        """Graded, feedback not yet out, and no hold (or its date has come)."""
        return self.db.execute(
            "SELECT * FROM submissions WHERE state = ? AND released IS NULL AND "
            "(hold_until IS NULL OR hold_until <= ?) ORDER BY graded", (State.GRADED, now)
        ).fetchall()

    # --- attempts ---

    def start_attempt(self, name: str) -> int:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE submissions SET state = ? WHERE name = ?",
                            (State.GRADING, name))
            cursor = self.db.execute("INSERT INTO attempts (submission, started) VALUES (?, ?)",
                                     (name, time.time()))
        return cursor.lastrowid

    def set_pgid(self, attempt: int, pgid: int) -> None:
        self.db.execute("UPDATE attempts SET pgid = ? WHERE id = ?", (pgid, attempt))

    def open_attempts(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM attempts WHERE finished IS NULL").fetchall()

    def interrupted(self, attempt: int, name: str) -> None:
        """An attempt cut short: closed as interrupted, its submission waits again."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE attempts SET finished = ?, outcome = ? WHERE id = ?",
                            (time.time(), Outcome.INTERRUPTED, attempt))
            self.db.execute("UPDATE submissions SET state = ? WHERE name = ? AND state = ?",
                            (State.SEEN, name, State.GRADING))

    # --- releases ---

    def measured_releases(self) -> dict[str, int]:
        """The release stamp of each assignment whose solution was measured."""
        return dict(self.db.execute("SELECT assignment, stamp FROM releases").fetchall())

    def measured(self, assignment: str, stamp: int, note: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO releases (assignment, stamp, measured, note) "
                        "VALUES (?, ?, ?, ?)", (assignment, stamp, time.time(), note))

    # --- reading ---

    def submissions(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM submissions ORDER BY submitted").fetchall()

    def attempts(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM attempts ORDER BY id").fetchall()

    def summary(self) -> list[str]:
        rows = self.db.execute("SELECT state, COUNT(*) AS n FROM submissions GROUP BY state "
                               "ORDER BY state").fetchall()
        return [f"{row['state']}: {row['n']}" for row in rows] or ["no submissions yet"]
