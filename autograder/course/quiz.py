"""The lesson's quiz (instant feedback) and its graded checkpoint (scored only when graded).

A lesson never writes answers into its notebook. Its question bank lives in
`solutions/NN-slug/quiz.toml` (never released; see `autograder.course.quizbank`), and
`make lessons` compiles it into package data, `autograder/course/quizzes/NN-slug.json`, where
each option's verdict and feedback is *sealed*: scrambled with a key derived from a salt and
that option, so the file shows no answer, and only choosing an option opens its feedback.
The notebook just loads it:

    quiz = Quiz.load("01-pickle")
    quiz                       # a widget in JupyterLab; the questions as text elsewhere
    quiz.check(1, "B")         # the same feedback without widgets

Sealed is not secret: anyone can open every option, exactly as anyone can click every option.
What it prevents is reading the answer off the screen or off the objects: a `Question` has a
prompt, options, a hint, a salt and sealed options of equal length, and no `answer`.

The graded checkpoint asks *other* questions (also in quiz.toml, without their answers):

    checkpoint = Checkpoint.load("01-pickle")
    checkpoint                 # the questions, numbered, with lettered options

The student answers `checkpoint_answers = {1: "B", ...}`; the visible test checks only the
form (`checkpoint.check_form(...)`); the hidden test holds the key and scores with
`score_checkpoint(...)`. So neither the quiz nor the checkpoint can serve as an oracle.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import ipywidgets as widgets

from autograder.course.display import WidgetWithFallback

__all__ = ["Checkpoint", "Feedback", "Question", "Quiz", "score_checkpoint", "seal_question"]

_CORRECT_COLOR = "#1a7f37"
_WRONG_COLOR = "#cf222e"
_BACKTICKS = re.compile(r"`([^`]+)`")
LETTERS = "ABCDEFGH"
BANK_PACKAGE = "autograder.course"
BANK_FOLDER = "quizzes"


def inline_html(text: str) -> str:
    """Escape `text` for HTML, turning `backtick` spans into <code> (the only markup allowed)."""
    return _BACKTICKS.sub(r"<code>\1</code>", html.escape(text))


# --- sealing ----------------------------------------------------------------------------------


def _keystream(salt: str, letter: str, length: int) -> bytes:
    key = hashlib.sha256(f"{salt}:{letter}".encode()).digest()
    return hashlib.shake_256(key).digest(length)


def seal_option(salt: str, letter: str, correct: bool, feedback: str, width: int) -> str:
    """Option `letter` of the question salted `salt`: verdict and feedback, `width` bytes long."""
    payload = (b"1" if correct else b"0") + feedback.encode()
    if len(payload) > width:
        raise ValueError(f"the feedback of option {letter} is longer than {width} bytes")
    payload += b" " * (width - len(payload))  # equal lengths: the size says nothing either
    stream = _keystream(salt, letter, width)
    return base64.b64encode(bytes(a ^ b for a, b in zip(payload, stream, strict=True))).decode()


def open_option(salt: str, letter: str, sealed: str) -> tuple[bool, str]:
    """(correct, feedback) of one sealed option."""
    data = base64.b64decode(sealed)
    stream = _keystream(salt, letter, len(data))
    payload = bytes(a ^ b for a, b in zip(data, stream, strict=True))
    return payload[:1] == b"1", payload[1:].decode().rstrip(" ")


def seal_question(salt: str, options: Sequence[str], right: str,
                  feedback: Mapping[str, str]) -> dict[str, str]:
    """Every option sealed, padded to one length: letter -> sealed text."""
    width = 1 + max(len(feedback[letter].encode()) for letter in options)
    return {letter: seal_option(salt, letter, letter == right, feedback[letter], width)
            for letter in options}


# --- questions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One multiple-choice question as the student's objects hold it: no answer in it."""

    prompt: str
    options: Mapping[str, str] = field(hash=False)  # letter -> option text
    hint: str = ""
    sealed: Mapping[str, str] = field(default_factory=dict, hash=False, repr=False)
    salt: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not str(self.prompt).strip():
            raise ValueError("Question prompt is empty.")
        keys = [str(key).strip().upper() for key in self.options]
        if len(keys) < 2 or len(set(keys)) != len(keys):
            raise ValueError(f"Question {self.prompt!r} needs 2 or more distinct option letters, "
                             f"got {keys}.")
        object.__setattr__(self, "options",
                           dict(zip(keys, self.options.values(), strict=True)))

    def open(self, letter: str) -> tuple[bool, str]:
        """(correct, feedback) for choosing `letter`: what choosing it in the widget shows."""
        return open_option(self.salt, letter, self.sealed[letter])


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


def load_bank(lesson: str) -> dict[str, Any]:
    """The compiled bank of `lesson` (package data written by `make lessons`)."""
    path = resources.files(BANK_PACKAGE) / BANK_FOLDER / f"{lesson}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"No quiz for lesson {lesson!r}: {BANK_FOLDER}/{lesson}.json is not in the "
            "autograder package. Run `make lessons` (it compiles solutions/*/quiz.toml).")
    return json.loads(path.read_text(encoding="utf-8"))


def _options(texts: Sequence[str]) -> dict[str, str]:
    return dict(zip(LETTERS, texts, strict=False))


def _letter(question: Question, number: int, choice: object) -> str:
    letter = str(choice).strip().upper()
    if letter not in question.options:
        raise ValueError(f"Question {number} has no option {choice!r}; "
                         f"choose one of {', '.join(question.options)}.")
    return letter


def _number(number: object, count: int, first: int = 1) -> int:
    last = first + count - 1
    if isinstance(number, bool) or not isinstance(number, int) or not first <= number <= last:
        raise ValueError(f"There is no question {number!r}; this quiz has questions {first} to "
                         f"{last}.")
    return number


def _questions_html(title: str, questions: Sequence[Question], css: str, after: str,
                    first: int = 1) -> str:
    items = []
    for question in questions:
        options = "".join(f"<li><b>{key}:</b> {inline_html(text)}</li>"
                          for key, text in question.options.items())
        items.append(f'<li>{inline_html(question.prompt)}<ul style="list-style: none">'
                     f"{options}</ul></li>")
    return (f'<div class="{css}"><h4>{inline_html(title)}</h4><ol start="{first}">'
            f'{"".join(items)}</ol>'
            f"<p><em>{after}</em></p></div>")


def _questions_text(title: str, questions: Sequence[Question], after: str,
                    first: int = 1) -> str:
    lines = [title]
    for number, question in enumerate(questions, start=first):
        lines.append(f"{number}. {question.prompt}")
        lines += [f"   {key}: {text}" for key, text in question.options.items()]
    lines.append(after)
    return "\n".join(lines)


# --- the quiz ---------------------------------------------------------------------------------


class Quiz(WidgetWithFallback):
    """The lesson's quiz: a widget form, with `check` as the widget-free way to answer."""

    def __init__(self, questions: Sequence[Question], title: str = "Checkpoint quiz", *,
                 first: int = 1) -> None:
        self.questions: tuple[Question, ...] = tuple(questions)
        self.first = first  # the number of the first question (a part of a longer quiz)
        if not self.questions:
            raise ValueError("A quiz needs at least one question.")
        for item in self.questions:
            if not isinstance(item, Question) or not item.sealed:
                raise TypeError("Quiz items must be Questions with sealed options "
                                "(Quiz.load reads them from the lesson's bank).")
        self.title = title
        self._results: dict[int, bool] = {}  # latest widget result per question number

    @classmethod
    def load(cls, lesson: str) -> Quiz:
        """The quiz of `lesson` ("01-pickle"), from the package's compiled question bank."""
        bank = load_bank(lesson)
        questions = [Question(q["prompt"], _options(q["options"]), q["hint"],
                              dict(zip(LETTERS, q["sealed"], strict=False)), q["salt"])
                     for q in bank["quiz"]]
        return cls(questions, bank["title"])

    def __len__(self) -> int:
        return len(self.questions)

    def part(self, first: int, last: int) -> Quiz:
        """Questions `first` to `last`, numbered as in the whole quiz: a long quiz shown in parts,
        each short enough to read (and to print where widgets do not render)."""
        for number in (first, last):
            _number(number, len(self), self.first)
        if last < first:
            raise ValueError(f"A part runs from a question to a later one, not {first} to {last}.")
        return Quiz(self.questions[first - self.first:last - self.first + 1],
                    f"{self.title}: questions {first} to {last}", first=first)

    def check(self, number: int, choice: str) -> Feedback:
        """Feedback for answering question `number` (1-based) with option letter `choice`."""
        number = _number(number, len(self.questions), self.first)
        question = self.questions[number - self.first]
        letter = _letter(question, number, choice)
        correct, feedback = question.open(letter)
        if correct:
            return Feedback(number, True, _join("Correct.", feedback))
        hint = f"Hint: {question.hint}" if question.hint else ""
        return Feedback(number, False, _join("Not quite.", feedback, hint))

    # --- widget -----------------------------------------------------------------------------

    @cached_property
    def widget(self) -> widgets.VBox:
        """The interactive form, built on first use."""
        self._score = widgets.HTML()
        self._score.add_class("quiz-score")
        self._update_score()
        box = widgets.VBox(
            [widgets.HTML(f"<h4>{inline_html(self.title)}</h4>")]
            + [self._question_box(n) for n in range(self.first, self.first + len(self))]
            + [self._score]
        )
        box.add_class("quiz")
        return box

    def _question_box(self, number: int) -> widgets.VBox:
        question = self.questions[number - self.first]
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
        return f'quiz.check({self.first}, "{next(iter(self.questions[0].options))}")'

    def _fallback_html(self) -> str:
        after = (f"The interactive quiz is not shown here. To check an answer, run "
                 f"<code>{html.escape(self._how_to_check())}</code> in a code cell "
                 f"(question number, option letter).")
        return _questions_html(self.title, self.questions, "quiz-static", after, self.first)

    def _fallback_text(self) -> str:
        after = (f"To check an answer, run {self._how_to_check()} "
                 "(question number, option letter).")
        return _questions_text(self.title, self.questions, after, self.first)


# --- the graded checkpoint ----------------------------------------------------------------------


class Checkpoint:
    """The graded checkpoint's questions: shown as text, answered in a cell, scored when graded."""

    def __init__(self, questions: Sequence[Question], title: str = "Graded checkpoint") -> None:
        self.questions: tuple[Question, ...] = tuple(questions)
        if not self.questions:
            raise ValueError("A checkpoint needs at least one question.")
        self.title = title

    @classmethod
    def load(cls, lesson: str) -> Checkpoint:
        bank = load_bank(lesson)
        questions = [Question(q["prompt"], _options(q["options"])) for q in bank["checkpoint"]]
        return cls(questions, bank["checkpoint_title"])

    def __len__(self) -> int:
        return len(self.questions)

    def _example(self) -> str:
        letters = [next(iter(q.options)) for q in self.questions[:2]]
        return "{" + ", ".join(f'{n}: "{x}"' for n, x in enumerate(letters, 1)) + ", ...}"

    def _after(self) -> str:
        return (f"Answer in the cell below as a dictionary from question number to letter, "
                f"e.g. checkpoint_answers = {self._example()}. Your answers are scored when "
                "your work is graded, not here.")

    def _repr_html_(self) -> str:
        return _questions_html(self.title, self.questions, "checkpoint-static",
                               html.escape(self._after()))

    def __repr__(self) -> str:
        return _questions_text(self.title, self.questions, self._after())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def check_form(self, answers: object) -> str:
        """Raise AssertionError, saying what to fix, unless `answers` maps 1..n to option letters.

        Returns a one-line confirmation. It never says whether an answer is right.
        """
        count = len(self.questions)
        assert isinstance(answers, Mapping), (
            f"checkpoint_answers should be a dict like {self._example()}, "
            f"not a {type(answers).__name__}.")
        keys = set(answers)
        missing = [n for n in range(1, count + 1) if n not in keys]
        extra = sorted(map(repr, keys - set(range(1, count + 1))))
        assert not missing, (f"Answer every question 1 to {count}: "
                             f"missing {', '.join(map(str, missing))}.")
        assert not extra, f"There are only questions 1 to {count}: remove {', '.join(extra)}."
        for number, question in enumerate(self.questions, start=1):
            letter = str(answers[number]).strip().upper()
            assert letter in question.options, (
                f"Question {number}: {answers[number]!r} is not one of its options "
                f"({', '.join(question.options)}).")
        return f"{count} answers, one letter each: they will be scored when your work is graded."


def score_checkpoint(answers: Mapping[int, str], key: str, points: float) -> float:
    """Points for `answers` against `key` ("CABDA": question 1's letter first), printing a line.

    Used in the hidden test, so that the key is only in the graded copy.
    """
    right = sum(str(answers.get(number, "")).strip().upper() == letter
                for number, letter in enumerate(key.upper(), start=1))
    print(f"{right} of {len(key)} checkpoint answers are right.")
    return round(points * right / len(key), 4)  # the points: nbgrader reads the cell's result


def _join(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part.strip())
