"""The class-wide mistakes report: which catalogued mistakes how many students made, and where
the class lost its points.

Written by every `grade` run next to the other reports, for the whole class's latest grading
(students graded earlier included, as in ASSIGNMENT-cells.csv):

- ASSIGNMENT-mistakes.csv: one row per mistake (`autograder.course.mistakes`): its id, title,
  message, how many students made it, which, in which test cells, and the lesson section;
- ASSIGNMENT-mistakes.html: the same table with links to the sections, and a plot of the points
  lost per test cell across the class (ASSIGNMENT-mistakes.png beside it, embedded too).

Scores come from the gradebook (manual grades included), through nbgrader's API; mistakes from
the autograded notebooks' outputs of the test cells that lost points, as the feedback pages
find them (`feedback.named_mistakes`). A cell nobody has scored yet (a task cell awaiting its
manual grade, or every cell of a submission the grader could not grade: a timeout on its retry,
an error) has lost nothing yet: it is counted as awaiting a grade, and a submission with no
score at all is named as not graded automatically, never shown as a class-wide loss.
"""

from __future__ import annotations

import base64
import csv
import html
from dataclasses import dataclass
from pathlib import Path

from autograder.course import mistakes
from autograder.grading.course import GradingCourse
from autograder.grading.feedback import lessons_url, link, named_mistakes
from autograder.grading.gradebook import opened

COLUMNS = ["mistake", "title", "students", "student_ids", "cells", "message", "fix", "lesson",
           "section", "link"]


@dataclass(frozen=True, kw_only=True)
class CellLoss:
    """One test or task cell across the class."""

    notebook: str
    grade_id: str
    max_score: float
    lost: float  # points lost, summed over the students
    students: int  # students graded on it
    failed: int  # students who lost points on it
    pending: int = 0  # graded students whose cell has no score yet (a manual grade to give)


@dataclass(frozen=True, kw_only=True)
class Found:
    """One mistake across the class."""

    mistake: mistakes.Mistake
    students: tuple[str, ...]
    cells: tuple[str, ...]  # grade ids where it was named


@dataclass(frozen=True, kw_only=True)
class ClassReport:
    assignment: str
    students: int  # submissions in the gradebook
    found: tuple[Found, ...]  # most students first
    cells: tuple[CellLoss, ...]  # in the notebooks' order
    ungraded: tuple[str, ...] = ()  # submissions without any score: not graded automatically

    @property
    def graded(self) -> int:
        return self.students - len(self.ungraded)


def collect(course: GradingCourse, assignment: str) -> ClassReport:
    """Every submission of the assignment in the gradebook, with its autograded notebooks."""
    from nbgrader.api import MissingEntry

    losses: dict[tuple[str, str], list[tuple[str, float, float]]] = {}
    pending: dict[tuple[str, str], int] = {}
    ungraded: list[str] = []
    seen: dict[str, tuple[set[str], set[str]]] = {}
    with opened(course.db_url, course.course_id) as gb:
        try:
            definition = gb.find_assignment(assignment)
        except MissingEntry:
            return ClassReport(assignment=assignment, students=0, found=(), cells=())
        order = [(nb.name, cell.name, float(cell.max_score)) for nb in definition.notebooks
                 for cell in [*nb.grade_cells, *nb.task_cells] if cell.max_score]
        submissions = sorted(definition.submissions, key=lambda s: s.student_id)
        for sub in submissions:
            scored, unscored = False, []
            for nb in sub.notebooks:
                failed = set()
                for grade in nb.grades:
                    if not grade.max_score:
                        continue
                    if grade.auto_score is None and grade.manual_score is None:
                        unscored.append((nb.name, grade.name))
                        continue
                    scored = True
                    losses.setdefault((nb.name, grade.name), []).append(
                        (sub.student_id, float(grade.score), float(grade.max_score)))
                    if grade.score < grade.max_score:
                        failed.add(grade.name)
                path = course.path("autograded_directory", sub.student_id, assignment) / \
                    f"{nb.name}.ipynb"
                for grade_id, ids in notebook_mistakes(path, failed).items():
                    for mistake_id in ids:
                        students, cells = seen.setdefault(mistake_id, (set(), set()))
                        students.add(sub.student_id)
                        cells.add(grade_id)
            if unscored and not scored:
                ungraded.append(sub.student_id)
            else:
                for cell in unscored:
                    pending[cell] = pending.get(cell, 0) + 1
        n_students = len(submissions)
    cells = tuple(CellLoss(notebook=nb, grade_id=cell, max_score=most,
                           lost=sum(m - s for _, s, m in losses.get((nb, cell), [])),
                           students=len(losses.get((nb, cell), [])),
                           failed=sum(s < m for _, s, m in losses.get((nb, cell), [])),
                           pending=pending.get((nb, cell), 0))
                  for nb, cell, most in order)
    found = sorted((Found(mistake=mistakes.get(m), students=tuple(sorted(students)),
                          cells=tuple(sorted(cells)))
                    for m, (students, cells) in seen.items()),
                   key=lambda f: (-len(f.students), f.mistake.id))
    return ClassReport(assignment=assignment, students=n_students, found=tuple(found),
                       cells=cells, ungraded=tuple(ungraded))


def notebook_mistakes(path: Path, failed: set[str]) -> dict[str, list[str]]:
    """grade_id -> the mistakes its outputs name, for the cells that lost points."""
    from autograder.grading.outcome import grade_id, read_notebook

    nb = read_notebook(path) if failed and path.is_file() else None
    named = {grade_id(cell): named_mistakes(cell) for cell in (nb.cells if nb else [])
             if grade_id(cell) in failed}
    return {cell: ids for cell, ids in named.items() if ids}


def write_csv(report: ClassReport, path: Path, base: str) -> Path:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for found in report.found:
            m = found.mistake
            writer.writerow([m.id, m.title, len(found.students), " ".join(found.students),
                             " ".join(found.cells), m.message, m.fix, m.lesson, m.section,
                             link(m, base)])
    return Path(path)


def plot(report: ClassReport, path: Path) -> Path:
    """Bars: points lost per cell, summed over the class; each bar says how many students."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from autograder.course.plots import DPI, bars

    names = [c.grade_id for c in report.cells]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.9 * len(names) + 2), 3.6))
    try:
        bars(ax, names, [c.lost for c in report.cells],
             label=f"points lost, summed over {report.graded} students (points)", log=False)
        for text, cell in zip(ax.texts, report.cells, strict=False):
            text.set_text(f"{cell.lost:g} of {cell.max_score * cell.students:g} points\n"
                          f"({cell.failed} of {cell.students} students)")
        ax.set_xlabel("test cell")
        ax.set_title(f"{report.assignment}: where the class lost points")
        fig.savefig(path, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return Path(path)


def write_html(report: ClassReport, path: Path, png: Path, base: str) -> Path:
    rows = "".join(
        f"<tr><td><code>{f.mistake.id}</code></td><td>{html.escape(f.mistake.title)}</td>"
        f'<td class="n">{len(f.students)}</td><td>{html.escape(", ".join(f.students))}</td>'
        f"<td>{html.escape(', '.join(f.cells))}</td><td>{html.escape(f.mistake.message)}</td>"
        f"<td>{html.escape(f.mistake.fix)}</td>"
        f'<td><a href="{html.escape(link(f.mistake, base))}">Lesson {f.mistake.lesson[:2]} · '
        f"{html.escape(f.mistake.section)}</a></td></tr>" for f in report.found)
    table = (f"<table><tr><th>id</th><th>mistake</th><th>students</th><th>who</th>"
             f"<th>cells</th><th>what happened</th><th>fix</th><th>section</th></tr>{rows}"
             f"</table>") if report.found else "<p>No catalogued mistake was found.</p>"
    image = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    lost = ", ".join(f"{c.grade_id} {c.lost:g} of {c.max_score * c.students:g} points"
                     for c in report.cells)
    alt = f"Bar chart of the points lost per test cell, summed over the class: {lost}."
    graded = f"{report.graded} of {report.students} submissions graded"
    if report.ungraded:
        graded += (f"; not graded automatically (stopped at a limit twice, or failed), so "
                   f"flagged in formgrader for a manual grade and left out below: "
                   f"{html.escape(', '.join(report.ungraded))}")
    awaiting = [f"{html.escape(c.grade_id)} ({c.pending})" for c in report.cells if c.pending]
    if awaiting:
        graded += f"; cells awaiting a manual grade (students): {', '.join(awaiting)}"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(report.assignment)}: mistakes across the class</title>
<style>body {{font-family: sans-serif; margin: 2em;}} table {{border-collapse: collapse;}}
td, th {{border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top;}}
td.n {{text-align: right;}}</style></head><body>
<h1>{html.escape(report.assignment)}: mistakes across the class</h1>
<p>{graded}. Each mistake was named by a test that lost points.</p>
{table}
<h2>Points lost per test cell</h2>
<p><img src="data:image/png;base64,{image}" alt="{html.escape(alt)}" style="max-width: 100%">
</p><p>Each bar: points lost, summed over the students, of the points the class could get;
in brackets, how many students lost points there. Also in <a href="{html.escape(png.name)}">
{html.escape(png.name)}</a>.</p>
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)


def write_report(course: GradingCourse, assignment: str) -> dict[str, Path]:
    """ASSIGNMENT-mistakes.csv, .html and .png in the output folder."""
    report = collect(course, assignment)
    base = lessons_url(course.folder("release_directory"), course.out)
    stem = course.out / f"{assignment}-mistakes"
    png = plot(report, stem.with_suffix(".png"))
    return {"mistakes": write_csv(report, stem.with_suffix(".csv"), base),
            "mistakes_html": write_html(report, stem.with_suffix(".html"), png, base),
            "mistakes_plot": png}
