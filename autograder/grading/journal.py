"""Outcomes kept on disk as they arrive, so a merge that stops half-way loses nothing.

`grade` records each outcome in the run's scratch folder (OUT/.autograder/ASSIGNMENT/outcomes/) as
soon as its job is done, and marks it once it is in the gradebook. If the gradebook stops
answering during the merge, the run ends with every outcome still there; `grade --resume`
grades only the students with no outcome yet and merges only what is not marked.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from autograder.grading.outcome import GradeOutcome


class Journal:
    def __init__(self, scratch: Path):
        self.folder = Path(scratch) / "outcomes"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, student: str, suffix: str) -> Path:
        return self.folder / f"{student}.{suffix}"

    def record(self, outcome: GradeOutcome) -> None:
        """Keep one outcome (whole or not at all); a later one for the student replaces it."""
        tmp = self._path(outcome.student, "tmp")
        tmp.write_bytes(pickle.dumps(outcome))
        tmp.replace(self._path(outcome.student, "outcome"))
        self._path(outcome.student, "merged").unlink(missing_ok=True)

    def outcomes(self) -> dict[str, GradeOutcome]:
        """Every outcome kept, by student (this run's own pickles, never foreign input)."""
        return {p.stem: pickle.loads(p.read_bytes())
                for p in sorted(self.folder.glob("*.outcome"))}

    def mark_merged(self, student: str) -> None:
        self._path(student, "merged").touch()

    def merged(self, student: str) -> bool:
        return self._path(student, "merged").exists()
