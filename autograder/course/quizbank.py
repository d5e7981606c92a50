"""Question banks: what an author writes (quiz.toml) and what a student's package holds (JSON).

Each lesson's bank is `solutions/NN-slug/quiz.toml`. nbgrader never releases it
(`CourseDirectory.ignore`), and `make lessons` compiles it into
`autograder/course/quizzes/NN-slug.json`, sealing every option (see `autograder.course.quiz`).
The drift check covers the compiled files too. The format:

    title = "Checkpoint: saving and loading with pickle"       # the quiz widget's title
    checkpoint_title = "Graded checkpoint"                      # optional

    [[quiz]]                                  # at least 5; instant feedback in the widget
    prompt = "Which mode must the file be opened in for `pickle.dump`?"
    hint = "pickle produces bytes, not text."  # shown after a wrong answer; must not name it
      [[quiz.options]]                        # 3 or more, shown as A, B, C... in this order
      text = "'w'"
      feedback = "TypeError: write() needs str: text mode accepts text, pickle writes bytes."
      [[quiz.options]]
      text = "'wb'"
      right = true                            # exactly one option per question
      feedback = "Binary mode takes the bytes pickle produces."

    graded = false                            # optional: an ungraded notebook's bank (the
                                              # self-assessment): a quiz, and no checkpoint

    [[checkpoint]]                            # at least 3; graded, so no answers here:
    prompt = "..."                            # the key lives in the notebook's hidden test
    options = ["...", "...", "..."]

Every option's feedback says why it is right, or names the misconception that leads to it.
`read` refuses a bank that breaks these rules, with a one-line reason naming the question.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.course.quiz import BANK_FOLDER, LETTERS, seal_question

BANK_NAME = "quiz.toml"
MIN_QUIZ, MIN_CHECKPOINT, MIN_OPTIONS = 5, 3, 3
SIMILAR = 0.8  # a checkpoint prompt this close to a quiz prompt repeats the quiz


class BankError(ValueError):
    """A question bank that breaks the format's rules (one line, naming file and question)."""


@dataclass(frozen=True)
class Option:
    text: str
    feedback: str
    right: bool = False


@dataclass(frozen=True)
class QuizQuestion:
    prompt: str
    hint: str
    options: tuple[Option, ...]

    @property
    def answer(self) -> str:
        return next(LETTERS[i] for i, option in enumerate(self.options) if option.right)


@dataclass(frozen=True)
class CheckpointQuestion:
    prompt: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Bank:
    lesson: str
    title: str
    checkpoint_title: str
    quiz: tuple[QuizQuestion, ...]
    checkpoint: tuple[CheckpointQuestion, ...]
    source: bytes  # the TOML as written: the salt derives from it, so compiling is deterministic
    graded: bool = True  # `graded = false`: an ungraded notebook's bank, a quiz and no checkpoint


def bank_paths(root: Path = ROOT) -> dict[str, Path]:
    """lesson id -> its quiz.toml, for every lesson that has one."""
    return {path.parent.name: path
            for path in sorted((root / "solutions").glob(f"[0-9][0-9]-*/{BANK_NAME}"))}


def compiled_path(lesson: str, root: Path = ROOT) -> Path:
    return root / "autograder" / "course" / BANK_FOLDER / f"{lesson}.json"


def read(path: Path) -> Bank:
    """Parse and check one quiz.toml."""
    path = Path(path)
    source = path.read_bytes()
    where = f"{path.parent.name}/{path.name}"
    try:
        data = tomllib.loads(source.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BankError(f"{where}: not valid TOML: {exc}") from None
    try:
        quiz = tuple(_quiz_question(q) for q in data.get("quiz", []))
        checkpoint = tuple(CheckpointQuestion(_text(q, "prompt"), tuple(map(str, q["options"])))
                           for q in data.get("checkpoint", []))
        bank = Bank(path.parent.name, _text(data, "title"),
                    str(data.get("checkpoint_title", "Graded checkpoint")), quiz, checkpoint,
                    source, graded=data.get("graded", True) is not False)
    except (KeyError, TypeError) as exc:
        raise BankError(f"{where}: missing or malformed field {exc}") from None
    problems = check(bank)
    if problems:
        raise BankError(f"{where}: {problems[0]}" + (f" (and {len(problems) - 1} more)"
                                                      if len(problems) > 1 else ""))
    return bank


def _text(table: dict, key: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{key!r} (a non-empty string)")
    return value.strip()


def _quiz_question(q: dict) -> QuizQuestion:
    options = tuple(Option(_text(o, "text"), _text(o, "feedback"), bool(o.get("right", False)))
                    for o in q["options"])
    return QuizQuestion(_text(q, "prompt"), _text(q, "hint"), options)


def check(bank: Bank) -> list[str]:
    """Every rule a bank breaks, one line each."""
    problems = []
    if len(bank.quiz) < MIN_QUIZ:
        problems.append(f"the quiz needs at least {MIN_QUIZ} questions, has {len(bank.quiz)}")
    if bank.graded and len(bank.checkpoint) < MIN_CHECKPOINT:
        problems.append(f"the checkpoint needs at least {MIN_CHECKPOINT} questions, "
                        f"has {len(bank.checkpoint)}")
    if not bank.graded and bank.checkpoint:
        problems.append("an ungraded bank (graded = false) has no checkpoint")
    for n, question in enumerate(bank.quiz, start=1):
        rights = sum(option.right for option in question.options)
        if not MIN_OPTIONS <= len(question.options) <= len(LETTERS):
            problems.append(f"quiz question {n} has {len(question.options)} options "
                            f"(needs {MIN_OPTIONS} to {len(LETTERS)})")
        if rights != 1:
            problems.append(f"quiz question {n} has {rights} options marked right (needs 1)")
        right = next((o.text for o in question.options if o.right), "")
        if len(right) >= 4 and _plain(right) in _plain(question.hint):
            problems.append(f"quiz question {n}'s hint gives away its answer")
    for n, question in enumerate(bank.checkpoint, start=1):
        if not MIN_OPTIONS <= len(question.options) <= len(LETTERS):
            problems.append(f"checkpoint question {n} has {len(question.options)} options "
                            f"(needs {MIN_OPTIONS} to {len(LETTERS)})")
        for m, quiz_question in enumerate(bank.quiz, start=1):
            if similarity(question.prompt, quiz_question.prompt) >= SIMILAR:
                problems.append(f"checkpoint question {n} repeats quiz question {m}: the quiz "
                                "would answer it")
    return problems


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[`'\".,:;!?()]", " ", text.lower()).split())


def similarity(a: str, b: str) -> float:
    """How alike two prompts are, from 0 (nothing shared) to 1 (the same words)."""
    return difflib.SequenceMatcher(None, _plain(a).split(), _plain(b).split()).ratio()


def longest_is_right(questions: Sequence[tuple[Sequence[str], str]]) -> int:
    """How many of (options, right letter) have the right option among the longest.

    Ties count (a tie still points at the answer), unless every option has the same length.
    """
    count = 0
    for options, letter in questions:
        lengths = [len(text) for text in options]
        if len(set(lengths)) > 1:
            count += lengths[LETTERS.index(letter)] == max(lengths)
    return count


# --- compiling --------------------------------------------------------------------------------


def compile_bank(bank: Bank) -> dict:
    """The JSON a student's package holds: prompts, options, hints, sealed verdicts."""
    bank_salt = hashlib.sha256(b"quiz:" + bank.lesson.encode() + b":" + bank.source).hexdigest()
    quiz = []
    for number, question in enumerate(bank.quiz, start=1):
        salt = hashlib.sha256(f"{bank_salt}:{number}".encode()).hexdigest()[:32]
        letters = LETTERS[: len(question.options)]
        sealed = seal_question(salt, letters, question.answer,
                               {letter: option.feedback
                                for letter, option in zip(letters, question.options, strict=True)})
        quiz.append({
            "prompt": question.prompt,
            "options": [option.text for option in question.options],
            "hint": question.hint,
            "salt": salt,
            "sealed": [sealed[letter] for letter in letters],
        })
    return {
        "lesson": bank.lesson,
        "title": bank.title,
        "quiz": quiz,
        "checkpoint_title": bank.checkpoint_title,
        "checkpoint": [{"prompt": q.prompt, "options": list(q.options)}
                       for q in bank.checkpoint],
    }


def compiled_text(bank: Bank) -> str:
    return json.dumps(compile_bank(bank), indent=1, ensure_ascii=False) + "\n"


def write_all(root: Path = ROOT) -> list[Path]:
    """Compile every lesson's bank into the package; remove compiled banks without a source."""
    folder = root / "autograder" / "course" / BANK_FOLDER
    folder.mkdir(exist_ok=True)
    written = []
    sources = bank_paths(root)
    for lesson, path in sources.items():
        target = compiled_path(lesson, root)
        target.write_text(compiled_text(read(path)), encoding="utf-8")
        written.append(target)
    for stale in folder.glob("*.json"):
        if stale.stem not in sources:
            stale.unlink()
    return written


def drift(root: Path = ROOT) -> list[str]:
    """Compiled banks that differ from what their quiz.toml compiles to (one line each)."""
    out = []
    folder = Path("autograder") / "course" / BANK_FOLDER
    sources = bank_paths(root)
    for lesson, path in sources.items():
        target = compiled_path(lesson, root)
        if not target.is_file():
            out.append(f"{folder / target.name}: missing (run `make lessons`)")
        elif target.read_text(encoding="utf-8") != compiled_text(read(path)):
            out.append(f"{folder / target.name}: differs from its quiz.toml (run `make lessons`)")
    for extra in sorted((root / folder).glob("*.json")):
        if extra.stem not in sources:
            out.append(f"{folder / extra.name}: has no solutions/{extra.stem}/{BANK_NAME}")
    return out
