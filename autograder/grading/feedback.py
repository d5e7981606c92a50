"""Feedback that teaches: each failed test names the mistake, its fix and the section to re-read.

`MistakeFeedback` is one of GenerateFeedback's preprocessors (`course.feedback_preprocessors`
puts it last, so stock `nbgrader generate_feedback` in a graded folder runs it too). It runs
after GetGrades, which writes each cell's score into its metadata, and after RedactHiddenTests
and ClearHiddenTests, so it reads only what the student may see. It adds two kinds of Markdown
cell to the page:

- a summary box at the top: the score, the tests passed and failed, and every catalogued
  mistake the failed tests named, each linked to the lesson section that teaches it;
- after each failed test cell that named a mistake (`(mistake: ID)` in its outputs, written by
  `course.mistakes.tag` in test messages and by `check_artifact`): the mistake's message, its
  fix and the link.

The boxes quote only the catalogue and the gradebook's scores, never a cell's source or output,
so they cannot show a hidden test. Links point at a heading of the student notebook
(`LESSON/LESSON.ipynb#Heading-anchor`) under `lessons_url`: by default the course's release
folder, relative to where the page is written; a course whose students open feedback elsewhere
(a hub, a web site) sets `c.MistakeFeedback.lessons_url` to where the lesson folders are.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Unicode

from autograder.course import mistakes

MARK = "autograder_feedback"  # metadata key of the cells added here


def lessons_url(release: Path, page: Path) -> str:
    """The release folder (where each lesson's folder is), relative to the page's folder."""
    return Path(os.path.relpath(release, page)).as_posix() + "/"


def link(mistake: mistakes.Mistake, base: str) -> str:
    """Where the section is: the heading's anchor in the student notebook under `base`."""
    base = base if not base or base.endswith("/") else base + "/"
    return f"{base}{mistake.lesson}/{mistake.lesson}.ipynb#{mistake.anchor}"


def output_text(cell: NotebookNode) -> str:
    """Everything a cell's outputs say, as text: where test messages name their mistakes."""
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(output.get("text", ""))
        elif kind == "error":
            parts += [output.get("evalue", ""), *output.get("traceback", [])]
        elif kind in ("display_data", "execute_result"):
            plain = output.get("data", {}).get("text/plain", "")
            parts.append("".join(plain) if isinstance(plain, list) else plain)
    return "\n".join(parts)


def named_mistakes(cell: NotebookNode) -> list[str]:
    """The catalogued mistakes a cell's outputs name: its tags, then the catalogued library
    errors it raised (a TypeError from saving in text mode names `text-mode`), and `memory` for
    a cell that ran out of memory (the grader's limit raises MemoryError)."""
    found = mistakes.found(output_text(cell))
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        ename, evalue = output.get("ename", ""), output.get("evalue", "")
        known = "memory" if ename == "MemoryError" else mistakes.recognise(ename, evalue)
        if known and known not in found:
            found.append(known)
    return found


def is_test(cell: NotebookNode) -> bool:
    """An autograder test cell, as nbgrader's feedback template counts one."""
    return is_grade(cell) and not is_solution(cell) and cell.cell_type == "code"


def failed(cell: NotebookNode) -> bool:
    meta = cell.metadata.nbgrader
    return float(meta.get("score") or 0) < float(meta.get("points") or 0)


def points_of(score: float) -> str:
    """Points as nbgrader's feedback header rounds them: 2, 1.5, 0.33."""
    return f"{round(score, 2):g}"


def _anchor(mistake: mistakes.Mistake, base: str) -> str:
    section = f"Lesson {mistake.lesson[:2]} · {mistake.section}"
    return (f'<a class="mistake-link" href="{html.escape(link(mistake, base))}">'
            f"{html.escape(section)}</a>")


def mistake_box(grade_id: str, found: list[mistakes.Mistake], base: str) -> str:
    """The box after a failed test: each mistake it named, its fix, the section to re-read."""
    items = "".join(
        f'<li id="mistake-{html.escape(grade_id)}-{m.id}"><strong>{html.escape(m.title)}'
        f"</strong> <code>{m.id}</code>: {html.escape(m.message)}<br>"
        f"<em>Fix:</em> {html.escape(m.fix)}<br><em>Re-read:</em> {_anchor(m, base)}</li>"
        for m in found)
    return (f'<div class="alert alert-warning mistake-feedback"><p><strong>Why '
            f"{html.escape(grade_id)} failed</strong></p><ul>{items}</ul></div>")


def summary_box(score: float, max_score: float, late_penalty: float,
                tests: list[tuple[str, float, float]], found: list[mistakes.Mistake],
                base: str) -> str:
    """The box at the top: score, which tests passed, each mistake found with its link."""
    passed = [name for name, got, points in tests if got >= points]
    missed = [f"{name} ({points_of(got)} of {points_of(points)})"
              for name, got, points in tests if got < points]
    lines = [f"<p><strong>Score: {points_of(score)} of {points_of(max_score)} "
             f"points</strong>"
             + (f" (late penalty: {points_of(late_penalty)} points)" if late_penalty else "")
             + "</p>",
             f"<p>Tests passed: {len(passed)} of {len(tests)}"
             + (f": {html.escape(', '.join(passed))}" if passed else "") + "</p>"]
    if missed:
        lines.append(f"<p>Tests failed: {html.escape(', '.join(missed))}</p>")
    if found:
        items = "".join(f"<li><strong>{html.escape(m.title)}</strong> <code>{m.id}</code>: "
                        f"{_anchor(m, base)}</li>" for m in found)
        lines.append(f"<p>Mistakes found, with the section that teaches each:</p><ul>{items}"
                     f"</ul>")
    kind = "alert-success" if not missed else "alert-info"
    return f'<div class="alert {kind} feedback-summary">{"".join(lines)}</div>'


class MistakeFeedback(NbGraderPreprocessor):
    """Add a summary box, and each failed test's mistakes with their fix and lesson link.
    Put it after GetGrades and the hidden-test steps."""

    lessons_url = Unicode(
        "", help="Where the lessons' folders are, as a URL or a path relative to the feedback "
                 "page (ending in /). Empty: the course's release folder, relative to the "
                 "page nbgrader writes.").tag(config=True)

    def base(self, resources: ResourcesDict) -> str:
        if self.lessons_url:
            return self.lessons_url
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        info = resources.get("nbgrader", {})
        page = coursedir.format_path(coursedir.feedback_directory, info.get("student", "."),
                                     info.get("assignment", "."))
        release = coursedir.format_path(coursedir.release_directory, ".", ".")
        return lessons_url(Path(os.path.normpath(release)), Path(page))

    def preprocess(self, nb: NotebookNode,
                   resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        base = self.base(resources)
        cells, tests, found = [], [], {}
        for cell in nb.cells:
            if cell.get("metadata", {}).get(MARK):
                continue  # added by an earlier run over the same notebook
            cells.append(cell)
            if not is_test(cell):
                continue
            meta = cell.metadata.nbgrader
            tests.append((meta["grade_id"], float(meta.get("score") or 0),
                          float(meta.get("points") or 0)))
            named = [mistakes.get(m) for m in named_mistakes(cell)]
            if failed(cell) and named:
                found.update({m.id: m for m in named})
                cells.append(added(mistake_box(meta["grade_id"], named, base)))
        info = resources.get("nbgrader", {})
        summary = summary_box(float(info.get("score") or 0), float(info.get("max_score") or 0),
                              float(info.get("late_penalty") or 0), tests,
                              list(found.values()), base)
        nb.cells = [added(summary), *cells]
        return nb, resources


def added(text: str) -> NotebookNode:
    return new_markdown_cell(text, metadata={MARK: True})
