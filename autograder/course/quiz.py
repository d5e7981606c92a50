"""Checkpoint quizzes with instant feedback.

A `Quiz` is an ipywidgets form in JupyterLab; `Quiz.check` gives the same feedback as plain
text, so it also works where widgets do not (static HTML, nbgrader grade cells, plain Python).
The widgets are built only on first display, so constructing a quiz never needs a frontend.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import ipywidgets as widgets

from autograder.course.display import WidgetWithFallback

__all__ = ["Feedback", "Question", "Quiz"]

_CORRECT_COLOR = "#1a7f37"
_WRONG_COLOR = "#cf222e"
_BACKTICKS = re.compile(r"`([^`]+)`")


def inline_html(text: str) -> str:
    """Escape `text` for HTML, turning `backtick` spans into <code> (the only markup allowed)."""
    return _BACKTICKS.sub(r"<code>\1</code>", html.escape(text))


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; option keys are letters, matched case-insensitively."""

    prompt: str
    options: Mapping[str, str] = field(hash=False)
    answer: str
    hint: str = ""
    mistake: str = ""
    explanation: str = ""

    def __post_init__(self) -> None:
        if not self.prompt.strip():
            raise ValueError("Question prompt is empty.")
        keys = [str(key).strip().upper() for key in self.options]
        if len(keys) < 2:
            raise ValueError(f"Question {self.prompt!r} needs at least 2 options, got {len(keys)}.")
        if len(set(keys)) != len(keys):
            raise ValueError(f"Question {self.prompt!r} has duplicate option letters: {keys}.")
        answer = str(self.answer).strip().upper()
        if answer not in keys:
            raise ValueError(
                f"Question {self.prompt!r}: answer {self.answer!r} is not one of the options "
                f"{', '.join(keys)}."
            )
        # Normalised copies, so later lookups are simple and the caller's dict can't change us.
        object.__setattr__(self, "options", dict(zip(keys, self.options.values(), strict=True)))
        object.__setattr__(self, "answer", answer)


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer; `str()` gives the one-line message."""

    number: int
    correct: bool
    message: str

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # `quiz.check(1, "B")` as the last line of a cell shows the message, not the dataclass.
        p.text(self.message)


class Quiz(WidgetWithFallback):
    """A list of questions shown as a widget, with `check` as the widget-free way to answer."""

    def __init__(self, questions: Sequence[Question], title: str = "Checkpoint quiz") -> None:
        self.questions: tuple[Question, ...] = tuple(questions)
        if not self.questions:
            raise ValueError("A quiz needs at least one question.")
        for item in self.questions:
            if not isinstance(item, Question):
                raise TypeError(f"Quiz items must be Question objects, got {type(item).__name__}.")
        self.title = title
        self._results: dict[int, bool] = {}  # latest widget result per question number

    def __len__(self) -> int:
        return len(self.questions)

    def check(self, number: int, choice: str) -> Feedback:
        """Feedback for answering question `number` (1-based) with option letter `choice`."""
        count = len(self.questions)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= count:
            raise ValueError(
                f"There is no question {number!r}; this quiz has questions 1 to {count}."
            )
        question = self.questions[number - 1]
        letter = str(choice).strip().upper()
        if letter not in question.options:
            raise ValueError(
                f"Question {number} has no option {choice!r}; "
                f"choose one of {', '.join(question.options)}."
            )
        if letter == question.answer:
            return Feedback(number, True, _join("Correct.", question.explanation))
        return Feedback(
            number,
            False,
            _join(
                "Not quite.",
                f"Hint: {question.hint}" if question.hint else "",
                f"Common mistake: {question.mistake}" if question.mistake else "",
            ),
        )

    # --- widget -----------------------------------------------------------------------------

    @cached_property
    def widget(self) -> widgets.VBox:
        """The interactive form, built on first use."""
        self._score = widgets.HTML()
        self._score.add_class("quiz-score")
        self._update_score()
        box = widgets.VBox(
            [widgets.HTML(f"<h4>{inline_html(self.title)}</h4>")]
            + [self._question_box(n) for n in range(1, len(self.questions) + 1)]
            + [self._score]
        )
        box.add_class("quiz")
        return box

    def _question_box(self, number: int) -> widgets.VBox:
        question = self.questions[number - 1]
        prompt = widgets.HTML(f"<b>{number}.</b> {inline_html(question.prompt)}")
        options = widgets.RadioButtons(
            options=[(f"{key}: {text}", key) for key, text in question.options.items()],
            value=None,
            layout=widgets.Layout(width="auto"),
        )
        options.add_class("quiz-options")
        button = widgets.Button(description="Check", button_style="primary")
        button.add_class("quiz-check")
        feedback = widgets.HTML()
        feedback.add_class("quiz-feedback")

        def on_check(_: widgets.Button) -> None:
            if options.value is None:
                feedback.value = "Pick an answer first."
                return
            result = self.check(number, options.value)
            self._results[number] = result.correct
            color = _CORRECT_COLOR if result.correct else _WRONG_COLOR
            feedback.value = f'<span style="color: {color}">{inline_html(result.message)}</span>'
            self._update_score()

        def on_change(_: dict[str, Any]) -> None:
            feedback.value = ""  # old feedback would describe a different choice

        button.on_click(on_check)
        options.observe(on_change, names="value")
        box = widgets.VBox([prompt, options, button, feedback])
        box.add_class("quiz-question")
        return box

    def _update_score(self) -> None:
        correct = sum(self._results.values())
        self._score.value = f"Correct so far: {correct} of {len(self.questions)}"

    # --- display ----------------------------------------------------------------------------

    def _how_to_check(self) -> str:
        first = next(iter(self.questions[0].options))
        return f'quiz.check(1, "{first}")'

    def _fallback_html(self) -> str:
        items = []
        for question in self.questions:
            options = "".join(
                f"<li><b>{html.escape(key)}:</b> {inline_html(text)}</li>"
                for key, text in question.options.items()
            )
            prompt = inline_html(question.prompt)
            items.append(f'<li>{prompt}<ul style="list-style: none">{options}</ul></li>')
        return (
            f'<div class="quiz-static"><h4>{inline_html(self.title)}</h4><ol>{"".join(items)}</ol>'
            f"<p><em>The interactive quiz is not shown here. To check an answer, run "
            f"<code>{html.escape(self._how_to_check())}</code> in a code cell "
            f"(question number, option letter).</em></p></div>"
        )

    def _fallback_text(self) -> str:
        lines = [self.title]
        for number, question in enumerate(self.questions, start=1):
            lines.append(f"{number}. {question.prompt}")
            lines += [f"   {key}: {text}" for key, text in question.options.items()]
        lines.append(
            f"To check an answer, run {self._how_to_check()} (question number, option letter)."
        )
        return "\n".join(lines)


def _join(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part.strip())
