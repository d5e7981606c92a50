"""autograder.course.quizbank: the rules a bank must follow, deterministic compiling, drift."""

from __future__ import annotations

import pytest

from autograder.common.paths import ROOT
from autograder.course import quizbank
from autograder.course.quizbank import BankError


def question(prompt: str, right: int = 0, n: int = 3, hint: str = "A hint.") -> str:
    options = "".join(
        f'\n  [[quiz.options]]\n  text = "option {i} of {prompt}"\n'
        f'  feedback = "Why option {i} is {"right" if i == right else "wrong"}."\n'
        + ("  right = true\n" if i == right else "")
        for i in range(n))
    return f'\n[[quiz]]\nprompt = "{prompt}"\nhint = "{hint}"\n{options}'


def checkpoint(prompt: str) -> str:
    return f'\n[[checkpoint]]\nprompt = "{prompt}"\noptions = ["a", "b", "c"]\n'


def write(tmp_path, text: str, lesson: str = "98-bank"):
    path = tmp_path / "solutions" / lesson / "quiz.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


GOOD = ('title = "T"\n' + "".join(question(f"Quiz question {n} on topic {n}?") for n in range(5))
        + "".join(checkpoint(f"Checkpoint {n}: about a wholly different matter?")
                  for n in range(3)))


def test_a_good_bank_compiles_deterministically(tmp_path):
    bank = quizbank.read(write(tmp_path, GOOD))
    assert len(bank.quiz) == 5 and bank.quiz[0].answer == "A"
    assert quizbank.compiled_text(bank) == quizbank.compiled_text(quizbank.read(
        write(tmp_path, GOOD)))
    compiled = quizbank.compile_bank(bank)
    assert "answer" not in str(compiled) and "Why option 0 is right" not in str(compiled)
    assert [len(q["sealed"]) for q in compiled["quiz"]] == [3] * 5


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("right = true\n", "", 1), "quiz question 1 has 0 options marked right"),
    (lambda t: t.replace('hint = "A hint."', 'hint = "Think of option 0 of Quiz question 0 on '
                         'topic 0?"', 1), "quiz question 1's hint gives away its answer"),
    (lambda t: t + checkpoint("Quiz question 2 on topic 2?"), "repeats quiz question 3"),
    (lambda t: t.split("\n[[checkpoint]]")[0], "the checkpoint needs at least 3 questions"),
    (lambda t: t.replace("feedback =", "note =", 1), "missing or malformed field"),
    (lambda t: t + "[[[", "not valid TOML"),
])
def test_broken_banks_are_refused_with_one_line(tmp_path, change, message):
    with pytest.raises(BankError, match=message) as info:
        quizbank.read(write(tmp_path, change(GOOD)))
    assert "\n" not in str(info.value) and "98-bank/quiz.toml" in str(info.value)


def test_an_ungraded_bank_has_a_quiz_and_no_checkpoint(tmp_path):
    quiz_only = 'graded = false\n' + GOOD.split("\n[[checkpoint]]")[0]
    bank = quizbank.read(write(tmp_path, quiz_only))
    assert not bank.graded and bank.checkpoint == () and len(bank.quiz) == 5
    assert quizbank.read(write(tmp_path, GOOD)).graded
    with pytest.raises(BankError, match="an ungraded bank"):
        quizbank.read(write(tmp_path, "graded = false\n" + GOOD))


def test_too_few_questions_or_options(tmp_path):
    few = 'title = "T"\n' + question("Only one?", n=2) + "".join(
        checkpoint(f"C{n} something else?") for n in range(3))
    with pytest.raises(BankError, match=r"at least 5 questions, has 1 \(and 1 more\)"):
        quizbank.read(write(tmp_path, few))


def test_longest_is_right_counts_ties_but_not_equal_lengths():
    assert quizbank.longest_is_right([(["aa", "b", "c"], "A")]) == 1
    assert quizbank.longest_is_right([(["aa", "bb", "c"], "B")]) == 1  # a tie still points at it
    assert quizbank.longest_is_right([(["a", "b", "c"], "C")]) == 0  # nothing to go by
    assert quizbank.longest_is_right([(["a", "bbb", "c"], "A")]) == 0


def test_drift_finds_stale_missing_and_orphan_banks(tmp_path):
    root = tmp_path
    write(root, GOOD, "97-one")
    (root / "autograder" / "course").mkdir(parents=True)
    assert quizbank.drift(root) == ["autograder/course/quizzes/97-one.json: missing "
                                    "(run `make lessons`)"]
    quizbank.write_all(root)
    assert quizbank.drift(root) == []
    write(root, GOOD.replace('title = "T"', 'title = "T2"'), "97-one")
    (root / "autograder" / "course" / "quizzes" / "96-gone.json").write_text("{}")
    assert quizbank.drift(root) == [
        "autograder/course/quizzes/97-one.json: differs from its quiz.toml (run `make lessons`)",
        "autograder/course/quizzes/96-gone.json: has no solutions/96-gone/quiz.toml"]
    quizbank.write_all(root)
    assert quizbank.drift(root) == []


def test_the_repository_banks_are_compiled():
    assert quizbank.bank_paths(), "no lesson has a quiz.toml"
    assert quizbank.drift(ROOT) == []


def test_the_release_never_holds_a_bank():
    """nbgrader_config.py keeps quiz.toml (it holds the answers) out of every release."""
    from autograder.common.paths import course_config

    assert "quiz.toml" in course_config().CourseDirectory.ignore
    for lesson in quizbank.bank_paths():
        assert not (ROOT / "lessons" / lesson / "quiz.toml").exists()
