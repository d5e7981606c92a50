"""autograder.grading.outcome: messages, notes and the one-line reason."""

from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.grading.outcome import (
    CellResult,
    last_line,
    limit_notes,
    locked_cell_changes,
    output_messages,
    summarize,
)


def cell(grade_id, source="", outputs=(), locked=False):
    return new_code_cell(source, outputs=list(outputs), metadata={
        "nbgrader": {"grade_id": grade_id, "locked": locked}})


def test_output_messages_say_why_a_cell_failed():
    nb = new_notebook(cells=[
        cell("a", outputs=[new_output("error", ename="AssertionError",
                                      evalue="size_ratio is wrong\nmore", traceback=[])]),
        cell("b", outputs=[new_output("stream", name="stderr", text="UserWarning: hmm")]),
        cell("c", outputs=[new_output("error", ename="NotImplementedError", evalue="",
                                      traceback=[])]),
        cell("d", outputs=[new_output("stream", name="stdout", text="fine")]),
    ])
    assert output_messages(nb) == {
        "a": "AssertionError: size_ratio is wrong",
        "b": "wrote to stderr (nbgrader scores that 0): UserWarning: hmm",
        "c": "NotImplementedError"}


def test_limit_notes_name_the_cell():
    nb = new_notebook(cells=[
        cell("hog", outputs=[new_output("error", ename="MemoryError", evalue="", traceback=[])]),
        new_code_cell("", outputs=[new_output("error", ename="CellTimeoutError", evalue="",
                                              traceback=[])])])
    assert limit_notes(nb, 2**30, 5) == ["hog ran out of memory (limit 1 GiB per process)",
                                         "cell 1 was stopped at the 5 s cell time limit"]


def test_locked_cell_changes():
    released = new_notebook(cells=[cell("t1", "assert x", locked=True),
                                   cell("t2", "assert y", locked=True), cell("answer", "x = 1")])
    submitted = new_notebook(cells=[cell("t1", "assert True", locked=True),
                                    cell("answer", "x = 2")])
    assert locked_cell_changes(submitted, released) == [
        "edited locked cell t1 (nbgrader restored it)",
        "deleted locked cell t2 (nbgrader put it back)"]
    assert locked_cell_changes(None, released) == []


def test_summarize():
    cells = (CellResult("nb", "t1", 2, 2), CellResult("nb", "t2", 0.5, 1),
             CellResult("nb", "t3", 0, 3, "NameError: x"))
    expected = "1 of 3 tests passed; t2: partial (0.5 of 1 points)"
    assert summarize("graded", cells, [], "") == expected
    assert summarize("graded", cells[:1], ["edited t9"], "") == "edited t9; all 1 tests passed"
    assert summarize("timeout", cells, [], "killed at 5 s") == "killed at 5 s"
    assert len(summarize("error", (), [], "x" * 1000)) == 400


def test_summarize_counts_an_answer_graded_by_hand_apart_from_the_tests():
    essay = CellResult("nb", "essay", 0, 3, needs_manual_grade=True)
    assert essay.status == "needs manual grade"
    assert summarize("graded", (CellResult("nb", "t1", 2, 2), essay), [], "") == \
        "all 1 tests passed; essay waits for a manual grade (3 points)"


def test_last_line_takes_the_message_of_a_traceback():
    text = "Traceback (most recent call last):\n  File 'x'\nValueError: bad\n\n"
    assert last_line(text) == "ValueError: bad"
    assert last_line("") == ""
