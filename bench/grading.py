"""Grading throughput: `autograder grade` against stock, sequential `nbgrader autograde`.

The same submissions of the sample class are graded, in turn, several times (the order rotates
each repetition, so drift in the machine's speed hits all alike), three ways:
- stock nbgrader, in a throwaway course directory outside the repository, as an instructor
  would run it: its gradebook and release made beforehand, untimed, then `nbgrader autograde
  ASSIGNMENT --force` timed (and `nbgrader generate_feedback`, for the same outputs as ours);
- ours on identical work (`--full`): every cell runs exactly as in stock nbgrader;
- ours in quick mode (the default): the kernel runs with AUTOGRADER_QUICK=1, so the lessons'
  measurement cells measure less; tests and graded figures are the same.
Ours is the whole command, from the intake to grades.csv and the feedback HTML, with 2
workers on 2 cores. The solution's reference time (what the limits come from) is measured
once beforehand, untimed like stock's release, and reported on its own row.

Then every graded lesson's solution is graded once in each mode (the measurement the limits
come from): a submission's whole job in quick mode, over the lesson's run as students run it.

Both time each notebook's own run with the same hook (`autograder.grading.timed`), so the
overhead is measured, not guessed: what a submission costs beyond running its notebook.
Only the well-behaved submissions take part: stock nbgrader has no limits or sandbox, so the
hostile ones would take the machine's memory or rewrite its gradebook.
"""

from __future__ import annotations

import csv
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.common.units import duration
from autograder.course.measure import QUICK_VARIABLE
from autograder.grading import samples
from autograder.grading.course import GradingCourse
from autograder.grading.reference import Reference
from autograder.grading.timed import read_timings
from bench.core import AUTOGRADER, Measurement, Section, progress, python_env, run_command

ASSIGNMENT = "01-pickle"
# Four notebooks of about the same length, so two workers stay evenly busy; each is graded
# COPIES times, under more student ids, for a class of 8: the workers' start-up (each one's
# zygote) is paid once per command, as in a real class, not once per two submissions.
STUDENTS = ("correct", "partly-right", "class-in-notebook", "text-mode")
COPIES = 2
QUICK_STUDENTS = ("stubs",)
REPS = 3
TIMEOUT = 1800  # seconds for one whole grading command: a stuck run is a note, not a hang
KINDS = ("stock", "identical", "quick")

STOCK_TIMING = """
# Added by `make bench`: time each notebook's own run exactly as the course's grader does.
from autograder.grading.timed import use_timed_execute  # noqa: E402

use_timed_execute(c, {timing!r})
"""


@dataclass(frozen=True)
class Run:
    """One grading command: its wall time, the notebooks' own run time, and the scores."""

    seconds: float
    execute_seconds: float
    scores: dict[str, float]
    _: KW_ONLY
    job_seconds: tuple[float, ...] = ()  # ours only: each submission's time in a worker
    job_overheads: tuple[float, ...] = ()  # ours only: each submission's time beyond its run
    feedback_seconds: float = 0.0  # stock only: `nbgrader generate_feedback` afterwards


def sample_submissions(assignment: str, students: tuple[str, ...], folder: Path,
                       copies: int = 1) -> Path:
    """The sample class as a folder tree, only these students, each `copies` times (the
    copies as NAME-2, NAME-3...)."""
    samples.write_class(assignment, folder)
    for student in sorted(folder.iterdir()):
        if student.name not in students:
            shutil.rmtree(student)
            continue
        for copy in range(2, copies + 1):
            shutil.copytree(student, folder / f"{student.name}-{copy}")
    return folder


def stock_course(assignment: str, submissions: Path, where: Path) -> Path:
    """A course directory for stock nbgrader: the course's config (plus the timing hook), the
    assignment's source, its release and gradebook made now, and every submission in place."""
    course = where / "stock"
    (course / "submitted").mkdir(parents=True)
    config = (ROOT / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        config + STOCK_TIMING.format(timing=str(where / "stock-execute.jsonl")))
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("artifacts", ".ipynb_checkpoints"))
    for student in sorted(submissions.iterdir()):
        shutil.copytree(student, course / "submitted" / student.name / assignment)
    done = run_command([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                        "--force"], cwd=course, env=stock_env())
    if done.problem:
        raise RuntimeError(f"stock generate_assignment failed: {done.problem}")
    return course


def stock_env() -> dict:
    """Stock nbgrader runs the lessons as students do: no quick mode."""
    env = python_env()
    env.pop(QUICK_VARIABLE, None)
    return env


def gradebook_scores(course: Path, assignment: str) -> dict[str, float]:
    """Every student's total in a course directory's gradebook, at full precision."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}",
                   GradingCourse.open(ROOT).course_id) as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(assignment)}


def run_stock(course: Path, assignment: str) -> Run:
    timing = course.parent / "stock-execute.jsonl"
    timing.unlink(missing_ok=True)
    done = run_command([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
                       cwd=course, env=stock_env(), timeout=TIMEOUT)
    if done.problem:
        raise RuntimeError(f"stock autograde failed: {done.problem}")
    feedback = run_command([sys.executable, "-m", "nbgrader", "generate_feedback", assignment,
                            "--force"], cwd=course, env=stock_env(), timeout=TIMEOUT)
    if feedback.problem:
        raise RuntimeError(f"stock generate_feedback failed: {feedback.problem}")
    return Run(done.seconds, read_timings(timing), gradebook_scores(course, assignment),
               feedback_seconds=feedback.seconds)


def run_ours(assignment: str, submissions: Path, out: Path, workers: int, quick: bool) -> Run:
    done = run_command([AUTOGRADER, "grade", assignment, "--course", str(ROOT),
                        "--submissions", str(submissions),
                        "--out", str(out), "--workers", str(workers),
                        *([] if quick else ["--full"])], env=python_env(), timeout=TIMEOUT)
    if done.problem:
        raise RuntimeError(f"autograder grade failed: {done.problem}")
    with open(out / f"{assignment}-outcomes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    jobs = tuple(float(r["seconds"]) for r in rows)
    runs = tuple(float(r["execute_seconds"]) for r in rows)
    return Run(done.seconds, sum(runs), gradebook_scores(out, assignment), job_seconds=jobs,
               job_overheads=tuple(j - e for j, e in zip(jobs, runs, strict=True)))


def graded_lessons() -> list[str]:
    """The lessons whose solution notebook has a graded cell."""
    import nbformat
    from nbgrader.utils import is_grade

    return [folder.name for folder in sorted((ROOT / "solutions").iterdir())
            if any(is_grade(cell) for path in folder.glob("*.ipynb")
                   for cell in nbformat.read(path, as_version=4).cells)]


Modes = dict[bool, Reference | None]  # quick mode or not: the solution's measurement


def measure_lessons(lessons: list[str], scratch: Path) -> tuple[dict[str, Modes], list[str]]:
    """Each lesson's solution graded anew in quick and in full mode, one at a time and untimed
    (like stock's release): what each submission's limits come from. Also, one line for each
    measurement that failed."""
    from autograder.grading import reference
    from autograder.grading.orchestrator import measure_solution

    course = GradingCourse.open(ROOT)
    measured: dict[str, Modes] = {}
    failed = []
    for lesson in lessons:
        progress(f"grading: the {lesson} solution, quick and full mode")
        measured[lesson] = {}
        for quick in (True, False):
            limits = measure_solution(lesson, course=ROOT, out=scratch / lesson, quick=quick,
                                      again=True)
            measured[lesson][quick] = reference.cached(
                reference.key(course, lesson, quick))
            if measured[lesson][quick] is None:
                failed.append(f"{lesson}, {'quick' if quick else 'full'} mode: {limits.basis}")
    return measured, failed


def lesson_rows(measured: dict[str, Modes]) -> list[Measurement]:
    """Per lesson: quick mode's whole job over the full run of the notebook (kernel included)."""
    return [Measurement(f"{lesson}: a submission graded in quick mode / the lesson's run", "×",
                        (modes[True].wall_seconds / modes[False].execute_seconds,), goal=0.5,
                        note=f"{duration(modes[True].wall_seconds)} job / "
                             f"{duration(modes[False].execute_seconds)} run")
            for lesson, modes in measured.items()
            if modes[True] and modes[False] and modes[False].execute_seconds > 0]


def differences(stock: dict[str, float], ours: dict[str, float]) -> list[str]:
    return [f"{s}: stock {stock.get(s)}, ours {ours.get(s)}"
            for s in sorted(set(stock) | set(ours))
            if s not in stock or s not in ours or abs(stock[s] - ours[s]) > 1e-9]


def ratios(runs: dict[str, list[Run]], mode: str) -> tuple[float, ...]:
    """Stock time over ours, within each repetition."""
    return tuple(s.seconds / o.seconds for s, o in zip(runs["stock"], runs[mode], strict=True))


def measure(assignment: str, students: tuple[str, ...], reps: int, workers: int,
            scratch: Path, *, reference: bool = True, lessons: tuple[str, ...] = (),
            copies: int = 1) -> Section:
    """The section; `reference` False (a quick check) leaves the solution's measurement to the
    first run of ours, timed, and its row out. `lessons` get a row each (`lesson_rows`)."""
    submissions = sample_submissions(assignment, students, scratch / "class", copies)
    n = len(list(submissions.iterdir()))
    course = stock_course(assignment, submissions, scratch)
    measured: dict[str, Modes] = {}
    failed: list[str] = []
    if reference:
        measured, failed = measure_lessons(sorted({assignment, *lessons}), scratch / "lessons")
    runs: dict[str, list[Run]] = {kind: [] for kind in KINDS}
    for rep in range(reps):
        order = KINDS[rep % 3:] + KINDS[:rep % 3]
        for kind in order:
            progress(f"grading: repetition {rep + 1}/{reps}, {kind} ({n} submissions)")
            if kind == "stock":
                runs[kind].append(run_stock(course, assignment))
            else:  # the same output folder each time, as an instructor regrading would
                runs[kind].append(run_ours(assignment, submissions, scratch / kind, workers,
                                           quick=kind == "quick"))

    mismatches = [f"{kind}, repetition {i + 1}: {d}" for kind in ("identical", "quick")
                  for i, (s, o) in enumerate(zip(runs["stock"], runs[kind], strict=True))
                  for d in differences(s.scores, o.scores)]
    stock, identical, quick = runs["stock"], runs["identical"], runs["quick"]
    rows = [
        Measurement(f"stock `nbgrader autograde`, sequential, {n} submissions", "s",
                    tuple(r.seconds for r in stock)),
        Measurement(f"`autograder grade --full`, {workers} workers: identical work", "s",
                    tuple(r.seconds for r in identical),
                    note="intake, sandboxed autograde, feedback HTML, merge, CSVs"),
        Measurement(f"`autograder grade`, {workers} workers, quick mode", "s",
                    tuple(r.seconds for r in quick), note="AUTOGRADER_QUICK=1 in the kernel"),
        Measurement("speed-up on identical work (stock time / ours)", "×",
                    ratios(runs, "identical"), goal=1.8, higher_is_better=True),
        Measurement("speed-up with quick mode (stock time / ours)", "×", ratios(runs, "quick"),
                    goal=2.5, higher_is_better=True),
        Measurement("stock `nbgrader generate_feedback` afterwards", "s",
                    tuple(r.feedback_seconds for r in stock),
                    note="the feedback HTML ours makes inside its run"),
        Measurement("speed-up on identical work against stock autograde + generate_feedback",
                    "×", tuple((s.seconds + s.feedback_seconds) / o.seconds
                               for s, o in zip(stock, identical, strict=True)),
                    note="the same outputs on both sides"),
        Measurement("grading one submission in quick mode / the lesson's full run", "×",
                    tuple((statistics.mean(q.job_seconds)) / (s.execute_seconds / n)
                          for s, q in zip(stock, quick, strict=True)), goal=0.5,
                    note="a submission's whole job, over the notebook's run as students run "
                         "it (stock's, kernel start included)"),
        Measurement("projected speed-up for a large class, identical work", "×",
                    tuple((s.seconds / n) / (statistics.mean(o.job_seconds) / workers)
                          for s, o in zip(stock, identical, strict=True)),
                    note="stock time per submission / (ours per submission / workers): "
                         "start-up and merge amortized"),
        Measurement("ours: overhead per submission beyond its notebook's run", "s",
                    tuple(x for r in identical for x in r.job_overheads), goal=1.5,
                    note="each submission's time in a worker minus its notebook's run"),
        Measurement("ours: fixed cost per command (start, definition, merge, export)", "s",
                    tuple(o.seconds - sum(o.job_seconds) / workers for o in identical),
                    note="≈ wall time − Σ submission times / workers"),
        *([Measurement("ours: measuring the solution once per version (cached)", "s",
                       tuple(r.wall_seconds for r in measured[assignment].values() if r),
                       note="quick and full mode; what the time limits come from")]
          if measured else []),
        Measurement("stock: overhead per submission beyond its notebook's run", "s",
                    tuple((r.seconds - r.execute_seconds) / n for r in stock),
                    note="(wall time − Σ notebook runs) / submissions, start-up included"),
        Measurement("notebook run per submission, stock (one at a time)", "s",
                    tuple(r.execute_seconds / n for r in stock)),
        Measurement(f"notebook run per submission, ours ({workers} at a time), identical", "s",
                    tuple(r.execute_seconds / n for r in identical),
                    note="two kernels share the two cores"),
        Measurement(f"notebook run per submission, ours ({workers} at a time), quick", "s",
                    tuple(r.execute_seconds / n for r in quick)),
        *lesson_rows({lesson: measured[lesson] for lesson in lessons}),
    ]
    notes = [
        f"Submissions: {', '.join(sorted(p.name for p in submissions.iterdir()))} from the "
        f"{assignment} sample class (`samples/{assignment}/class.toml`)"
        + (f"; each sample {copies} times, the copies under the ids NAME-2..." if copies > 1
           else "") + ". The hostile ones (loops forever, memory hog, snoop, tamper) are left "
        "out: stock nbgrader runs them with no limit or sandbox, and `make test` grades them "
        "with ours.",
        "Ours starts a zygote in each worker (`autograder.grading.zygote`): a fresh process "
        "that imports nbgrader, ipykernel and the lesson's imports once; each runner is forked "
        "from it and pre-forks its kernel in the job's sandbox, so a kernel skips those "
        "imports, and the kernel forks its artifact checks' server before it runs the notebook "
        "(`autograder.artifacts.forkserver.prestart`), so its first check skips scikit-learn's. "
        "Each worker's first submission waits for its zygote's imports: that is in its "
        "overhead.",
        "Grades identical to stock's in every repetition, in both modes: " + (
            "yes, for every submission." if not mismatches else
            f"**NO, {len(mismatches)} differences**: " + "; ".join(mismatches[:5])),
        "Timed with `autograder.grading.timed.TimedExecute` in all three, from kernel start "
        "to kernel shutdown; stock's gradebook and release were made before timing "
        "(`nbgrader generate_assignment`), ours makes its own inside the timed command.",
        "Quick mode measures less where a lesson's measurement cells read AUTOGRADER_QUICK "
        "(`autograder.course.measure`), and leaves the code cells after a notebook's last graded "
        "cell unrun (`TimedExecute.skip_tail_of`: the concept snapshot and Going further). What "
        "is left is the work grading needs: imports, training, and the tests, most of whose "
        "time is the fresh, sandboxed processes that reload each saved file.",
        *(["Per lesson: the solution graded once in each mode, one at a time (the measurement "
           "each submission's limits come from). The job in quick mode is the whole of it "
           "(sandbox, autograde, feedback); the lesson's run is the full-mode notebook from "
           "kernel start to shutdown, as a student runs it."] if lessons else []),
        *([f"**Not measured** (the solution could not be graded): {'; '.join(failed)}."]
          if failed else []),
    ]
    intro = (
        f"The same {n} submissions of `{assignment}` graded by stock nbgrader, one at a time, "
        f"and by the course's grader with {workers} workers, on identical work and in quick "
        f"mode, in rotating order, {reps} times. Each speed-up is taken within a repetition. "
        "Overhead is what grading costs beyond running the notebook itself (kernel start to "
        "shutdown), measured by the same hook in all three.")
    return Section("grading", "Grading throughput", intro, rows, notes)


def run(quick: bool = False) -> Section:
    students = QUICK_STUDENTS if quick else STUDENTS
    workers = min(2, os.cpu_count() or 1) if not quick else 1
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        return measure(ASSIGNMENT, students, 1 if quick else REPS, workers, Path(tmp),
                       reference=not quick, lessons=() if quick else tuple(graded_lessons()),
                       copies=1 if quick else COPIES)
