"""Tests for autograder.course.quiz: feedback texts, validation, the widget, and the display
fallbacks."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from autograder.course.quiz import Feedback, Question, Quiz

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def pickle_mode() -> Question:
    return Question(
        prompt="Which mode must the file be opened in for `pickle.dump`?",
        options={"A": "'w'", "B": "'wb'", "C": "'r'", "D": "'a'"},
        answer="B",
        hint="pickle produces bytes, not text.",
        mistake="Choosing 'w': it raises TypeError and leaves an empty file.",
        explanation="'wb' writes bytes; pickle output is binary.",
    )


def make_quiz() -> Quiz:
    second = Question(
        prompt="Is unpickling an untrusted file safe? <script>",
        options={"a": "Yes", "b": "No"},
        answer="b",
        hint="Unpickling can run code.",
        mistake="Trusting the .pkl extension.",
        explanation="pickle.load can execute arbitrary code.",
    )
    return Quiz([pickle_mode(), second], title="Checkpoint quiz")


def by_class(root: widgets.Widget, css_class: str) -> list[widgets.Widget]:
    """All widgets under `root` (inclusive) carrying `css_class`, in display order."""
    found = [root] if css_class in root._dom_classes else []
    for child in getattr(root, "children", ()):
        found += by_class(child, css_class)
    return found


def test_correct_answer_gives_explanation() -> None:
    feedback = make_quiz().check(1, "B")
    assert feedback == Feedback(1, True, "Correct. 'wb' writes bytes; pickle output is binary.")
    assert str(feedback) == feedback.message


def test_wrong_answer_gives_hint_and_common_mistake() -> None:
    feedback = make_quiz().check(1, "A")
    assert not feedback.correct
    assert feedback.message == (
        "Not quite. Hint: pickle produces bytes, not text. "
        "Common mistake: Choosing 'w': it raises TypeError and leaves an empty file."
    )
    assert "\x1b" not in feedback.message and "\n" not in feedback.message


def test_letters_are_case_insensitive() -> None:
    quiz = make_quiz()
    assert quiz.check(1, "b").correct
    assert quiz.check(2, "B").correct  # options were written in lower case
    assert not quiz.check(2, " A ").correct


@pytest.mark.parametrize("number", [0, 3, -1, True])
def test_check_rejects_bad_question_numbers(number: int) -> None:
    with pytest.raises(ValueError, match="questions 1 to 2") as info:
        make_quiz().check(number, "A")
    assert "\n" not in str(info.value)


def test_check_rejects_unknown_option() -> None:
    with pytest.raises(ValueError, match="no option 'E'; choose one of A, B, C, D"):
        make_quiz().check(1, "E")


def test_question_validation() -> None:
    with pytest.raises(ValueError, match="answer 'E' is not one of the options"):
        Question(prompt="?", options={"A": "x", "B": "y"}, answer="E")
    with pytest.raises(ValueError, match="at least 2 options"):
        Question(prompt="?", options={"A": "x"}, answer="A")
    with pytest.raises(ValueError, match="duplicate option letters"):
        Question(prompt="?", options={"A": "x", "a": "y"}, answer="A")
    with pytest.raises(ValueError, match="at least one question"):
        Quiz([])


def test_question_is_frozen() -> None:
    question = pickle_mode()
    with pytest.raises(AttributeError):
        question.answer = "A"  # type: ignore[misc]


def test_constructing_a_quiz_builds_no_widgets() -> None:
    quiz = make_quiz()
    assert "widget" not in vars(quiz)
    assert quiz.widget is quiz.widget  # built once, then cached


def test_widget_structure_and_css_classes() -> None:
    root = make_quiz().widget
    assert "quiz" in root._dom_classes
    assert len(by_class(root, "quiz-question")) == 2
    options = by_class(root, "quiz-options")
    assert [o.value for o in options] == [None, None]  # nothing preselected
    assert options[0].options[1] == ("B: 'wb'", "B")
    assert len(by_class(root, "quiz-check")) == len(by_class(root, "quiz-feedback")) == 2
    [score] = by_class(root, "quiz-score")
    assert score.value == "Correct so far: 0 of 2"
    prompt = by_class(root, "quiz-question")[0].children[0].value
    assert "<code>pickle.dump</code>" in prompt
    assert "&lt;script&gt;" in by_class(root, "quiz-question")[1].children[0].value


def test_clicking_check_updates_feedback_and_score() -> None:
    root = make_quiz().widget
    options = by_class(root, "quiz-options")
    buttons = by_class(root, "quiz-check")
    feedback = by_class(root, "quiz-feedback")
    [score] = by_class(root, "quiz-score")

    buttons[0].click()
    assert feedback[0].value == "Pick an answer first."

    options[0].value = "A"
    buttons[0].click()
    assert "Not quite. Hint: pickle produces bytes" in feedback[0].value
    assert "#cf222e" in feedback[0].value  # red
    assert score.value == "Correct so far: 0 of 2"

    options[0].value = "B"
    assert feedback[0].value == ""  # stale feedback cleared on a new choice
    buttons[0].click()
    assert "Correct. &#x27;wb&#x27; writes bytes" in feedback[0].value
    assert "#1a7f37" in feedback[0].value  # green
    assert score.value == "Correct so far: 1 of 2"

    options[1].value = "B"  # radio values are the normalised letters
    buttons[1].click()
    assert score.value == "Correct so far: 2 of 2"
    options[1].value = "A"
    buttons[1].click()
    assert score.value == "Correct so far: 1 of 2"  # the latest answer counts


def test_mimebundle_has_widget_and_static_fallbacks() -> None:
    bundle = make_quiz()._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    page, text = bundle["text/html"], bundle["text/plain"]
    assert "Which mode must the file be opened in for <code>pickle.dump</code>?" in page
    assert "Is unpickling an untrusted file safe? &lt;script&gt;" in page
    assert "<b>B:</b> &#x27;wb&#x27;" in page and "<b>A:</b> Yes" in page
    assert "quiz.check(1, &quot;A&quot;)" in page
    assert "1. Which mode must the file be opened in for `pickle.dump`?" in text
    assert "   B: 'wb'" in text and "   B: No" in text
    assert 'quiz.check(1, "A")' in text
    # The answers stay inside the objects: the explanation is nowhere in the display.
    assert "pickle output is binary" not in page + text
