"""autograder.grading.outcome: messages, notes and the one-line reason."""

from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.grading.outcome import (
    CellResult,
    CellStatus,
    GradeOutcome,
    GradeStatus,
    limit_hits,
    limit_note,
    locked_cell_changes,
    output_messages,
    summarize,
)


def cell(grade_id, source="", outputs=(), locked=False, grade=True):
    return new_code_cell(source, outputs=list(outputs), metadata={
        "nbgrader": {"grade_id": grade_id, "locked": locked, "grade": grade, "points": 1}})


def result(grade_id, score, max_score, message="", **rest):
    return CellResult(notebook="nb", grade_id=grade_id, score=score, max_score=max_score,
                      auto_score=score, message=message, **rest)


def test_output_messages_say_why_a_cell_failed():
    nb = new_notebook(cells=[
        cell("a", outputs=[new_output("error", ename="AssertionError",
                                      evalue="size_ratio is wrong\nmore", traceback=[])]),
        cell("b", outputs=[new_output("stream", name="stderr", text="UserWarning: hmm")]),
        cell("c", outputs=[new_output("error", ename="NotImplementedError", evalue="",
                                      traceback=[])]),
        cell("d", outputs=[new_output("stream", name="stdout", text="fine")]),
        cell("e", outputs=[new_output("error", ename="X", evalue="", traceback=[])],
             grade=False),  # not a grade cell: nobody scores it
    ])
    assert output_messages(nb) == {
        "a": "AssertionError: size_ratio is wrong",
        "b": "wrote to stderr (nbgrader scores that 0): UserWarning: hmm",
        "c": "NotImplementedError"}


def test_limit_hits_name_the_cell():
    nb = new_notebook(cells=[
        cell("hog", outputs=[new_output("error", ename="MemoryError", evalue="", traceback=[])]),
        new_code_cell("", outputs=[new_output("error", ename="CellTimeoutError", evalue="",
                                              traceback=[])])])
    assert limit_hits(nb) == [("hog", "memory"), ("cell 1", "time")]
    assert limit_note("hog", "memory", 2**30, 5) == \
        "hog ran out of memory (limit 1 GiB per process)"
    assert limit_note("cell 1", "time", 2**30, 5) == \
        "cell 1 was stopped at the 5 s cell time limit"


def test_locked_cell_changes():
    locked = [("t1", True, "assert x"), ("t2", True, "assert y"), ("intro", False, "Hi")]
    submitted = new_notebook(cells=[cell("t1", "assert True"), cell("answer", "x = 2")])
    assert locked_cell_changes(submitted, locked, put_back=False) == [
        "edited locked cell t1 (nbgrader restored it)",
        "deleted test cell t2 (no automatic score: nbgrader leaves it for a manual grade)",
        "deleted locked cell intro"]
    assert "deleted test cell t2 (nbgrader put it back)" in \
        locked_cell_changes(submitted, locked, put_back=True)


def test_summarize():
    cells = (result("t1", 2, 2), result("t2", 0.5, 1), result("t3", 0, 3, "NameError: x"))
    expected = "1 of 3 tests passed; t2: partial (0.5 of 1 points)"
    assert summarize(GradeStatus.GRADED, cells, [], "") == expected
    assert summarize(GradeStatus.GRADED, cells[:1], ["edited t9"], "") == \
        "edited t9; all 1 tests passed"
    assert summarize(GradeStatus.GRADED, cells[:1], [], "", late_penalty=1) == \
        "all 1 tests passed; late: 1 points off"
    assert summarize(GradeStatus.TIMEOUT, cells, [], "killed at 5 s") == "killed at 5 s"
    assert len(summarize(GradeStatus.ERROR, (), [], "x" * 1000)) == 400


def test_summarize_counts_an_answer_graded_by_hand_apart_from_the_tests():
    essay = result("essay", 0, 3, needs_manual_grade=True)
    assert essay.status == CellStatus.MANUAL == "needs manual grade"
    assert summarize(GradeStatus.GRADED, (result("t1", 2, 2), essay), [], "") == \
        "all 1 tests passed; essay waits for a manual grade (3 points)"


def test_an_outcome_stopped_at_a_time_limit_is_flagged():
    def outcome(**rest):
        return GradeOutcome(assignment="a", student="s", score=0, max_score=1, reason="",
                            **rest)

    assert not outcome(status=GradeStatus.GRADED).flagged
    assert outcome(status=GradeStatus.GRADED, stopped_cells=("t1",)).timed_out
    assert outcome(status=GradeStatus.TIMEOUT).flagged
    assert outcome(status=GradeStatus.ERROR).flagged
    assert not outcome(status=GradeStatus.ERROR).timed_out
