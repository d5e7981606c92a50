"""How long a lesson's core path takes, by one stated model that anyone can recompute.

    minutes = prose words / 200  +  code lines / 10  +  each exercise's own estimate

- **Core path**: every cell except those under a heading that contains "Going further" (up to
  the next heading of the same or a higher level that does not). Going-further sections are
  optional and outside the stated time.
- **Prose**: the words of the core path's Markdown cells (link targets, HTML tags and Markdown
  punctuation removed), plus the lesson's question bank: every quiz and checkpoint prompt and
  option, each quiz hint, and one feedback message per quiz question (the right option's).
- **Code**: the non-blank lines of the core path's code cells as the student sees them: locked
  helpers, demonstrations and visible tests count; solution cells do not (writing them is the
  exercise's estimate), nor do hidden tests (students never see them). Fenced code blocks in
  Markdown count as code too.
- **Exercises**: each Markdown line (or heading) that opens with ✍️ is a graded task and states
  its own estimate, e.g.
  `### ✍️ Exercise 2 · Make the model portable (3 points, 10 min)`. The graded checkpoint is
  such a task.

The header states the result rounded to 5 minutes ("**Time:** about 50 minutes"), and so does
the README's lesson table; tests allow 10 % between them and the model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.course import quizbank

WORDS_PER_MINUTE = 200
LINES_PER_MINUTE = 10
GOING_FURTHER = "going further"
TASK = "✍️"
TOLERANCE = 0.10
LIMIT_MINUTES, CAPSTONE_LIMIT_MINUTES = 60, 90

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
_TASK_LINE = re.compile(rf"^\s*(?:#{{1,6}}\s*)?{TASK}")  # a heading or paragraph opening with it
_ESTIMATE = re.compile(r"(\d+)\s*min\b")
_STATED = re.compile(r"\*\*Time:\*\*\s*about\s+(\d+)\s+min")
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
                     re.M | re.S)


@dataclass(frozen=True)
class Task:
    line: str
    minutes: int | None  # None: the line states no estimate (an authoring error)


@dataclass(frozen=True)
class LessonTime:
    lesson: str
    prose_words: int
    code_lines: int
    tasks: tuple[Task, ...]
    stated: int | None  # minutes in the header, if it says

    @property
    def prose_minutes(self) -> float:
        return self.prose_words / WORDS_PER_MINUTE

    @property
    def code_minutes(self) -> float:
        return self.code_lines / LINES_PER_MINUTE

    @property
    def task_minutes(self) -> int:
        return sum(task.minutes or 0 for task in self.tasks)

    @property
    def minutes(self) -> float:
        return self.prose_minutes + self.code_minutes + self.task_minutes

    @property
    def rounded(self) -> int:
        """The model's minutes, to the nearest 5: what the header and README state."""
        return 5 * max(1, round(self.minutes / 5))

    @property
    def limit(self) -> int:
        return CAPSTONE_LIMIT_MINUTES if "capstone" in self.lesson else LIMIT_MINUTES

    def agrees(self, stated: int | None) -> bool:
        return stated is not None and abs(stated - self.minutes) <= TOLERANCE * self.minutes

    def summary(self) -> str:
        return (f"{self.lesson}: {self.prose_words:,} words ({self.prose_minutes:.1f} min) + "
                f"{self.code_lines:,} code lines ({self.code_minutes:.1f} min) + "
                f"{len(self.tasks)} tasks ({self.task_minutes} min) = {self.minutes:.1f} min "
                f"(state about {self.rounded}; header says {self.stated})")


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def core_cells(notebook: dict) -> list[dict]:
    """The cells outside every "Going further" section."""
    core, skipping = [], None  # the heading level of the going-further section we are in
    for cell in notebook["cells"]:
        headings = _HEADING.findall(source(cell)) if cell["cell_type"] == "markdown" else []
        first = None  # a cell belongs to the section of its first heading
        for i, (marks, title) in enumerate(headings):
            level = len(marks)
            if GOING_FURTHER in title.lower():
                skipping = level if skipping is None else min(skipping, level)
            elif skipping is not None and level <= skipping:
                skipping = None
            if i == 0:
                first = skipping
        if (first if headings else skipping) is None:
            core.append(cell)
    return core


def prose_words(markdown: str) -> int:
    text = _FENCE.sub(" ", markdown)
    text = _LINK_TARGET.sub("]", _TAG.sub(" ", text))
    return len(_WORD.findall(text))


def code_lines(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


def _is_solution(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def bank_words(bank: quizbank.Bank) -> int:
    parts = []
    for question in bank.quiz:
        parts += [question.prompt, question.hint]
        parts += [option.text for option in question.options]
        parts += [option.feedback for option in question.options if option.right]
    for question in bank.checkpoint:
        parts += [question.prompt, *question.options]
    return sum(prose_words(part) for part in parts)


def estimate(notebook: dict, lesson: str, bank: quizbank.Bank | None = None) -> LessonTime:
    """The model's time for one lesson notebook (solution or student version)."""
    words = bank_words(bank) if bank is not None else 0
    lines = 0
    tasks = []
    for cell in core_cells(notebook):
        text = source(cell)
        if cell["cell_type"] == "markdown":
            words += prose_words(text)
            lines += sum(code_lines(block) - 2 for block in _FENCE.findall(text))
            tasks += [Task(line.strip(), _minutes(line)) for line in text.splitlines()
                      if _TASK_LINE.match(line)]
        elif cell["cell_type"] == "code" and not _is_solution(cell):
            lines += code_lines(_HIDDEN.sub("", text))
    return LessonTime(lesson, words, lines, tuple(tasks), stated_minutes(notebook))


def _minutes(line: str) -> int | None:
    match = _ESTIMATE.search(line)
    return int(match.group(1)) if match else None


def stated_minutes(notebook: dict) -> int | None:
    """The "**Time:** about N minutes" of the lesson's first cells."""
    for cell in notebook["cells"][:3]:
        match = _STATED.search(source(cell))
        if match:
            return int(match.group(1))
    return None


def readme_minutes(readme: str) -> dict[str, int]:
    """Each lesson's time in the README table: lesson id -> minutes (`| 60 min |`)."""
    out = {}
    for line in readme.splitlines():
        link = re.search(r"\]\(lessons/(\d\d-[\w-]+)/", line)
        time = re.search(r"\|\s*(\d+)\s*min\s*\|", line)
        if link and time:
            out[link.group(1)] = int(time.group(1))
    return out


def lesson_time(lesson: str, root: Path = ROOT) -> LessonTime:
    """The model's time for solutions/`lesson`, with its question bank if it has one."""
    notebook = json.loads((root / "solutions" / lesson / f"{lesson}.ipynb").read_text())
    bank_path = quizbank.bank_paths(root).get(lesson)
    return estimate(notebook, lesson, quizbank.read(bank_path) if bank_path else None)
