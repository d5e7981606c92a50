"""autograder.common.text: one line of a longer text, never longer than asked."""

from autograder.common.text import error_line, first_line, last_line, shorten


def test_first_and_last_non_empty_lines():
    text = "\n  Traceback (most recent call last):\n  File x\nValueError: bad value  \n\n"
    assert first_line(text) == "Traceback (most recent call last):"
    assert last_line(text) == "ValueError: bad value"
    assert first_line("") == last_line("   \n") == ""


def test_cut_lines_end_in_an_ellipsis():
    assert shorten("abcdef", 4) == "abc…" and shorten("abc", 4) == "abc"
    assert len(first_line("x" * 500, limit=50)) == 50


def test_error_line_names_the_type():
    assert error_line(KeyError("tensor(double)")) == "KeyError: 'tensor(double)'"
    assert error_line(ValueError("first\nsecond")) == "ValueError: first"
    assert error_line(EOFError()) == "EOFError"
