"""autograder.grading.redact: hidden-test code never survives in feedback outputs."""

import json

from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.grading.redact import (
    REDACTED,
    RedactHiddenTests,
    hidden_lines,
    normalize,
    scrub_text,
)

TEST_CELL = '''"""visible docstring"""
assert answer == 42
### BEGIN HIDDEN TESTS
assert answer * 2 == 84, "hidden probe failed"
x = 1
### END HIDDEN TESTS'''


def test_hidden_lines_are_the_long_lines_between_the_markers():
    assert hidden_lines(TEST_CELL) == {'assert answer * 2 == 84, "hidden probe failed"'}


def test_normalize_strips_colours_escapes_and_spacing():
    coloured = "\x1b[0;32m----> 3\x1b[0m \x1b[38;5;28;01massert\x1b[39;00m answer  * 2"
    assert normalize(coloured) == "----> 3 assert answer * 2"
    assert normalize("<span>a &lt; b</span>") == "a < b"


def test_scrub_text_replaces_only_quoting_lines():
    lines = hidden_lines(TEST_CELL)
    text = 'before\n    assert answer * 2 == 84, "hidden probe failed"\nafter'
    assert scrub_text(text, lines) == f"before\n{REDACTED}\nafter"


def test_preprocessor_scrubs_streams_tracebacks_and_rich_outputs():
    hidden = 'assert answer * 2 == 84, "hidden probe failed"'
    printed = new_code_cell("print(In[-1])", outputs=[
        new_output("stream", name="stdout", text=f"{hidden}\nkept"),
        new_output("display_data", data={"text/html": f"<pre>{hidden}</pre>",
                                         "text/plain": hidden})])
    failing = new_code_cell(TEST_CELL, outputs=[new_output(
        "error", ename="AssertionError", evalue="hidden probe failed",
        traceback=["\x1b[0;31m---> 4\x1b[0m assert answer \x1b[38;5;241m*\x1b[39m 2 == 84, "
                   '"hidden probe failed"'])])
    nb = new_notebook(cells=[printed, failing])
    nb, _ = RedactHiddenTests().preprocess(nb, {})
    outputs = [normalize(json.dumps(o)) for c in nb.cells for o in c.outputs]
    assert not any("answer * 2 == 84" in text for text in outputs)
    assert hidden in failing.source  # the source is ClearHiddenTests' job, which runs next
    assert printed.outputs[0].text == f"{REDACTED}\nkept"
    assert "text/html" not in printed.outputs[1].data
    assert failing.outputs[0].traceback == [REDACTED]
    assert failing.outputs[0].evalue == "hidden probe failed"  # short: not code, and the
    # course's hidden tests are written so that their messages are fair to show
