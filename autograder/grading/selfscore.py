"""Self-study scoring: a learner's own notebook, graded as an instructor's grading would grade it.

`score(notebook)` works out which lesson the notebook is, then runs the course's own grader
(`orchestrator.grade`, the same sandbox, limits and hidden tests as `autograder grade`) on a
copy: a throw-away course in a temporary folder that takes the lesson's source from solutions/
and the copy as the submission of student `self`. The notebook itself is only read. The
feedback page (hidden tests removed, as for any student) is kept in the self-study folder
(`progress.folder()`), and `remember` records the score there.

Messages shown to the learner are scrubbed of hidden-test lines exactly as the feedback page
is (`redact`), so the one-line reasons never say more than the page does.

`check_samples(assignment)` scores each bundled sample submission this way and compares it
with the grade its class.toml expects, the grade `make grade` checks.
"""

from __future__ import annotations

import html
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.common.paths import ROOT
from autograder.grading import progress, redact
from autograder.grading.classreport import notebook_mistakes
from autograder.grading.feedback import lessons_url
from autograder.grading.outcome import CellStatus, GradeStatus, grade_id, partial
from autograder.grading.sandbox import Isolation

STUDENT = "self"
NUMBERED = re.compile(r"^(\d\d)-")


class ScoreError(ValueError):
    """The notebook cannot be scored at all (one line, for the command line)."""


@dataclass(frozen=True, kw_only=True)
class FailedTest:
    grade_id: str
    score: float
    max_score: float
    reason: str  # one line, no hidden-test code
    mistakes: tuple[str, ...] = ()  # the catalogued mistakes its outputs name


@dataclass(frozen=True, kw_only=True)
class SelfScore:
    assignment: str
    notebook: Path
    status: GradeStatus
    score: float
    max_score: float
    reason: str  # the grader's one-line reason, no hidden-test code
    failed: tuple[FailedTest, ...] = ()
    notes: tuple[str, ...] = ()  # locked cells edited or deleted, limits hit
    feedback: Path | None = None  # the kept feedback page
    seconds: float = 0.0
    quick: bool = True
    isolation: Isolation = field(default_factory=Isolation)

    @property
    def mistakes(self) -> tuple[str, ...]:
        """Every catalogued mistake the failed tests named, as the feedback page lists them."""
        return tuple(sorted({m for test in self.failed for m in test.mistakes}))

    def attempt(self) -> progress.Attempt:
        return progress.Attempt(
            assignment=self.assignment, status=self.status, score=self.score,
            max_score=self.max_score, date=progress.now(),
            left=tuple(t.grade_id for t in self.failed), reason=self.reason,
            feedback=str(self.feedback or ""), notebook=str(self.notebook))


def source_notebook(assignment: str, root: Path = ROOT) -> Path:
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def graded_assignments(root: Path = ROOT) -> list[str]:
    """Every lesson with graded cells, from its source in solutions/."""
    from autograder.course.outline import graded

    found = []
    for folder in sorted((root / "solutions").iterdir()):
        path = source_notebook(folder.name, root)
        if path.is_file() and graded(nbformat.read(path, as_version=4)):
            found.append(folder.name)
    return found


def grade_ids(nb) -> set[str]:
    return {name for cell in nb.cells if (name := grade_id(cell))}


def assignment_of(notebook: Path, nb, root: Path = ROOT) -> str:
    """The lesson a notebook belongs to: its file or folder name (`01-pickle.ipynb`, or a copy
    such as `01-pickle-Copy1.ipynb`), else the lesson whose graded cells it carries."""
    known = graded_assignments(root)
    notebook = Path(notebook)
    for name in (notebook.stem, notebook.parent.name):
        if name in known:
            return name
    for name in (notebook.stem, notebook.parent.name):
        if m := NUMBERED.match(name):
            matches = [a for a in known if a.startswith(m[0])]
            if len(matches) == 1:
                return matches[0]
    mine = grade_ids(nb)
    overlap = {a: len(mine & grade_ids(nbformat.read(source_notebook(a, root), as_version=4)))
               for a in known}
    best = max(overlap, key=overlap.get, default=None)
    if best is None or overlap[best] == 0:
        raise ScoreError(f"{notebook}: not one of the graded lessons ({', '.join(known)}); "
                         f"give --assignment")
    return best


def read_notebook(notebook: Path):
    """(bytes, parsed notebook), or a one-line ScoreError."""
    try:
        data = Path(notebook).read_bytes()
    except OSError as exc:
        raise ScoreError(f"{notebook}: cannot read it ({exc.strerror or exc})") from None
    try:
        return data, nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # any parse failure is the same answer for the learner
        from autograder.common.text import error_line

        raise ScoreError(f"{notebook}: not a readable notebook ({error_line(exc)})") from None


def hidden_lines(assignment: str, root: Path = ROOT) -> set[str]:
    nb = nbformat.read(source_notebook(assignment, root), as_version=4)
    return set().union(*(redact.hidden_lines(cell.source) for cell in nb.cells))


def score(notebook: Path, *, assignment: str | None = None, root: Path = ROOT,
          quick: bool = True, isolate: bool = True,
          keep: Path | None = None) -> SelfScore:
    """Grade a copy of `notebook` with the course's grader; keep its feedback page in `keep`
    (a folder; None keeps none). Raises ScoreError when it cannot be graded at all."""
    from autograder.grading import intake
    from autograder.grading.orchestrator import grade

    notebook = Path(notebook).absolute()
    data, nb = read_notebook(notebook)
    if assignment is None:
        assignment = assignment_of(notebook, nb, root)
    elif assignment not in (known := graded_assignments(root)):
        raise ScoreError(f"'{assignment}' is not one of the graded lessons ({', '.join(known)})")
    with tempfile.TemporaryDirectory(prefix="autograder-score-") as tmp:
        submissions = Path(tmp) / "submissions"
        (submissions / STUDENT).mkdir(parents=True)
        (submissions / STUDENT / f"{assignment}.ipynb").write_bytes(data)
        try:
            run = grade(assignment, course=root, out=Path(tmp) / "course",
                        submissions=submissions, workers=1, quick=quick, isolate=isolate,
                        progress=False)
        except (intake.IntakeError, RuntimeError) as exc:
            raise ScoreError(str(exc)) from None
        if not run.outcomes:
            raise ScoreError("; ".join(run.skipped) or f"{notebook}: nothing was graded")
        outcome = run.outcomes[0]
        cells = [c for c in outcome.cells if c.max_score > 0 and not c.task and c.status in
                 (CellStatus.FAILED, CellStatus.PARTIAL, CellStatus.MANUAL)]
        named = notebook_mistakes(
            run.course.path("autograded_directory", STUDENT, assignment) /
            f"{assignment}.ipynb", {c.grade_id for c in cells})
        page = run.course.path("feedback_directory", STUDENT, assignment) / \
            f"{assignment}.html"
        feedback = kept_feedback(page if outcome.status == GradeStatus.GRADED else None,
                                 keep, assignment, run.course.folder("release_directory"))
    hidden = hidden_lines(assignment, root)
    failed = tuple(
        FailedTest(grade_id=c.grade_id, score=c.score, max_score=c.max_score,
                   reason=redact.scrub_text(c.message or partial(c), hidden),
                   mistakes=tuple(named.get(c.grade_id, ())))
        for c in cells)
    return SelfScore(assignment=assignment, notebook=notebook, status=outcome.status,
                     score=outcome.score, max_score=outcome.max_score,
                     reason=redact.scrub_text(outcome.reason, hidden), failed=failed,
                     notes=tuple(redact.scrub_text(n, hidden) for n in outcome.notes),
                     feedback=feedback, seconds=run.seconds, quick=quick,
                     isolation=outcome.isolation)


def kept_feedback(page: Path | None, keep: Path | None, assignment: str,
                  release: Path) -> Path | None:
    """Copy the feedback page to keep/ASSIGNMENT.html, its links to lesson sections made
    relative to where it is kept; an ungraded attempt removes the page of an earlier one, which
    would describe another version of the notebook."""
    if keep is None:
        return None
    target = Path(keep) / f"{assignment}.html"
    if page is None or not page.is_file():
        target.unlink(missing_ok=True)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    old, new = (f'href="{html.escape(lessons_url(release, folder))}'
                for folder in (page.parent, target.parent))
    target.write_text(page.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return target


def feedback_folder() -> Path:
    return progress.folder() / "feedback"


def remember(result: SelfScore) -> Path:
    """Record the score as its lesson's latest in the progress file; returns the file."""
    return progress.record(result.attempt())


@dataclass(frozen=True, kw_only=True)
class SampleCheck:
    student: str
    expected: float
    result: SelfScore
    problem: str  # '' when the self-study score is what class.toml expects


def check_samples(assignment: str, *, root: Path = ROOT, quick: bool = True,
                  isolate: bool = True, students: tuple[str, ...] = (),
                  on_done=None) -> list[SampleCheck]:
    """Score each sample submission of the lesson's class (or those in `students`) as a learner
    would, one after the other, and compare with the grade its class.toml expects."""
    from autograder.grading import samples

    chosen = [s for s in samples.load_class(assignment, root)
              if not students or s.student in students]
    checks = []
    with tempfile.TemporaryDirectory(prefix="autograder-samples-") as tmp:
        for sample in chosen:
            path = Path(tmp) / sample.student / f"{assignment}.ipynb"
            path.parent.mkdir()
            nbformat.write(samples.build_notebook(sample, assignment, root), path)
            result = score(path, assignment=assignment, root=root, quick=quick,
                           isolate=isolate)
            checks.append(SampleCheck(
                student=sample.student, expected=sample.expected, result=result,
                problem=samples.check(sample, result.status, result.score, result.reason,
                                      result.mistakes)))
            if on_done is not None:
                on_done(checks[-1])
    return checks
