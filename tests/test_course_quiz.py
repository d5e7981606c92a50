"""autograder.course.quiz: sealed feedback, no answer on any object, the widget, the fallbacks,
and the graded checkpoint (form check and scoring)."""

from __future__ import annotations

import dataclasses
import json
import pickle

import ipywidgets as widgets
import pytest

from autograder.course import quiz as quiz_module
from autograder.course.quiz import Checkpoint, Feedback, Question, Quiz, score_checkpoint
from autograder.course.quizbank import compile_bank, read

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BANK = '''
title = "A small quiz"
checkpoint_title = "A small checkpoint"

[[quiz]]
prompt = "Which mode must the file be opened in for `pickle.dump`?"
hint = "pickle produces bytes, not text."
  [[quiz.options]]
  text = "'w'"
  feedback = "Text mode takes str: TypeError, and an empty file."
  [[quiz.options]]
  text = "'wb'"
  right = true
  feedback = "Binary mode takes the bytes pickle writes."
  [[quiz.options]]
  text = "'r'"
  feedback = "That mode reads; dump needs to write."

[[quiz]]
prompt = "Is unpickling an untrusted file safe? <script>"
hint = "Think about what loading does."
  [[quiz.options]]
  text = "Yes, always"
  feedback = "A pickle can name any function to call."
  [[quiz.options]]
  text = "Only if small"
  feedback = "Size has nothing to do with it."
  [[quiz.options]]
  text = "No"
  right = true
  feedback = "Loading runs whatever the file asks for."
'''
QUIZ_EXTRA = "".join(f'''
[[quiz]]
prompt = "Filler question {n} about something else entirely?"
hint = "A hint."
  [[quiz.options]]
  text = "one"
  right = true
  feedback = "Right, one."
  [[quiz.options]]
  text = "two"
  feedback = "Two is wrong."
  [[quiz.options]]
  text = "three"
  feedback = "Three is wrong."
''' for n in range(3))
CHECKPOINT = "".join(f'''
[[checkpoint]]
prompt = "Checkpoint question {n}: a different question on another topic?"
options = ["first", "second", "third"]
''' for n in range(3))


@pytest.fixture
def bank_json(tmp_path, monkeypatch) -> dict:
    """A compiled bank served as lesson '99-test' from a temporary package folder."""
    source = tmp_path / "99-test" / "quiz.toml"
    source.parent.mkdir()
    source.write_text(BANK + QUIZ_EXTRA + CHECKPOINT)
    compiled = compile_bank(read(source))
    monkeypatch.setattr(quiz_module, "load_bank", lambda lesson: compiled)
    return compiled


def test_feedback_comes_from_the_chosen_option(bank_json):
    quiz = Quiz.load("99-test")
    assert quiz.check(1, "B") == Feedback(1, True, "Correct. Binary mode takes the bytes pickle "
                                                   "writes.")
    wrong = quiz.check(1, "a")
    assert not wrong.correct
    assert wrong.message == ("Not quite. Text mode takes str: TypeError, and an empty file. "
                             "Hint: pickle produces bytes, not text.")
    assert quiz.check(2, " c ").correct and str(quiz.check(2, "A")) == quiz.check(2, "A").message


def test_nothing_on_the_objects_gives_the_answer_away(bank_json):
    quiz = Quiz.load("99-test")
    assert not hasattr(quiz.questions[0], "answer")
    assert {f.name for f in dataclasses.fields(Question)} == {"prompt", "options", "hint",
                                                              "sealed", "salt"}
    everything = pickle.dumps(quiz) + json.dumps(bank_json).encode()
    for secret in ("Binary mode takes", "Loading runs whatever", "right", "answer"):
        assert secret.encode() not in everything, secret
    for question in quiz.questions:  # every option looks alike until it is opened
        assert len({len(sealed) for sealed in question.sealed.values()}) == 1


@pytest.mark.parametrize("number", [0, 6, -1, True])
def test_check_rejects_bad_question_numbers(bank_json, number):
    with pytest.raises(ValueError, match="questions 1 to 5"):
        Quiz.load("99-test").check(number, "A")


def test_a_part_keeps_the_whole_quizs_numbers(bank_json):
    quiz = Quiz.load("99-test")
    part = quiz.part(2, 4)
    assert len(part) == 3 and part.questions == quiz.questions[1:4]
    assert part.check(2, "C") == quiz.check(2, "C")
    text = part._fallback_text()
    assert text.splitlines()[1].startswith("2. ") and 'quiz.check(2, "A")' in text
    assert '<ol start="2">' in part._fallback_html()
    with pytest.raises(ValueError, match="questions 2 to 4"):
        part.check(1, "A")
    with pytest.raises(ValueError):
        quiz.part(4, 2)


def test_check_rejects_unknown_option(bank_json):
    with pytest.raises(ValueError, match="no option 'E'; choose one of A, B, C"):
        Quiz.load("99-test").check(1, "E")


def test_a_quiz_needs_sealed_questions():
    with pytest.raises(ValueError, match="at least one question"):
        Quiz([])
    with pytest.raises(TypeError, match="sealed options"):
        Quiz([Question("p?", {"A": "x", "B": "y"})])


def test_a_question_has_no_answer_and_distinct_letters():
    question = Question(prompt="p?", options={"a": "x", "b": "y"}, hint="h")
    assert question.options == {"A": "x", "B": "y"}
    assert not hasattr(question, "answer")
    with pytest.raises(TypeError):
        Question(prompt="?", options={"A": "x", "B": "y"}, answer="A")
    with pytest.raises(ValueError, match="2 or more distinct option letters"):
        Question(prompt="?", options={"A": "x", "a": "y"})


def test_a_missing_bank_says_how_to_build_it():
    with pytest.raises(FileNotFoundError, match="make lessons"):
        Quiz.load("98-missing")


def by_class(root: widgets.Widget, css_class: str) -> list[widgets.Widget]:
    found = [root] if css_class in root._dom_classes else []
    for child in getattr(root, "children", ()):
        found += by_class(child, css_class)
    return found


def test_constructing_a_quiz_builds_no_widgets(bank_json):
    quiz = Quiz.load("99-test")
    assert "widget" not in vars(quiz)
    assert quiz.widget is quiz.widget


def test_clicking_check_updates_feedback_and_score(bank_json):
    root = Quiz.load("99-test").widget
    options = by_class(root, "quiz-options")
    buttons = by_class(root, "quiz-check")
    feedback = by_class(root, "quiz-feedback")
    [score] = by_class(root, "quiz-score")
    assert [o.value for o in options] == [None] * 5 and score.value == "Correct so far: 0 of 5"
    assert "<code>pickle.dump</code>" in by_class(root, "quiz-question")[0].children[0].value
    assert "&lt;script&gt;" in by_class(root, "quiz-question")[1].children[0].value

    buttons[0].click()
    assert feedback[0].value == "Pick an answer first."
    options[0].value = "A"
    buttons[0].click()
    assert "Not quite. Text mode takes str" in feedback[0].value and "#cf222e" in feedback[0].value
    options[0].value = "B"
    assert feedback[0].value == ""  # stale feedback cleared on a new choice
    buttons[0].click()
    assert "Correct. Binary mode" in feedback[0].value and "#1a7f37" in feedback[0].value
    assert score.value == "Correct so far: 1 of 5"


def test_static_fallbacks_print_the_questions_and_no_feedback(bank_json):
    bundle = Quiz.load("99-test")._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    page, text = bundle["text/html"], bundle["text/plain"]
    assert 'class="quiz-static"' in page and "<code>pickle.dump</code>" in page
    assert "&lt;script&gt;" in page and 'quiz.check(1, &quot;A&quot;)' in page
    assert "1. Which mode must the file be opened in for `pickle.dump`?" in text
    assert "   B: 'wb'" in text and 'quiz.check(1, "A")' in text
    assert "Binary mode" not in page + text and "Hint" not in page + text


def test_checkpoint_shows_its_questions_and_checks_only_the_form(bank_json):
    checkpoint = Checkpoint.load("99-test")
    assert len(checkpoint) == 3 and not hasattr(checkpoint.questions[0], "answer")
    assert "Checkpoint question 0" in checkpoint._repr_html_()
    assert "scored when your work is graded" in repr(checkpoint)
    assert "3 answers" in checkpoint.check_form({1: "a", 2: "B", 3: "C"})
    for answers, message in [
        (["A", "B", "C"], "should be a dict"),
        ({1: "A", 2: "B"}, "missing 3"),
        ({1: "A", 2: "B", 3: "C", 4: "A"}, "remove 4"),
        ({1: "A", 2: "B", 3: "Z"}, "Question 3: 'Z' is not one of its options"),
    ]:
        with pytest.raises(AssertionError, match=message):
            checkpoint.check_form(answers)


def test_score_checkpoint_counts_right_letters(capsys):
    assert score_checkpoint({1: "b", 2: "C", 3: "A"}, key="BCD", points=3) == 2
    assert capsys.readouterr().out == "2 of 3 checkpoint answers are right.\n"
    assert score_checkpoint({}, key="AB", points=2) == 0
