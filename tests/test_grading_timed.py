"""autograder.grading.timed: nbgrader's Execute, timed, in autograde's own preprocessor list."""

import json

import pytest
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets.config import Config

from autograder.grading.timed import (
    TAIL_NOTE,
    TimedExecute,
    last_graded,
    last_notebook,
    read_timings,
    use_timed_execute,
)


def test_timed_execute_takes_executes_place_and_keeps_the_rest_in_order(tmp_path):
    config = Config()
    use_timed_execute(config, str(tmp_path / "t.jsonl"), str(tmp_path / "p.json"))
    steps = config.Autograde.autograde_preprocessors
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    assert steps == [TimedExecute if s is Execute else s for s in default]
    assert steps.index(TimedExecute) < steps.index(SaveAutoGrades)
    assert config.TimedExecute.timing_file == str(tmp_path / "t.jsonl")
    assert config.TimedExecute.progress_file == str(tmp_path / "p.json")


def test_settings_for_execute_still_apply_to_the_timed_one():
    config = Config()
    config.Execute.timeout = 7
    assert TimedExecute(config=config).timeout == 7


def test_timed_execute_runs_a_notebook_and_records_how_long(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    answer = new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "answer",
                                                           "solution": True}})
    nb = new_notebook(cells=[new_code_cell("import time; time.sleep(0.3)"), answer])
    timing, progress = tmp_path / "t.jsonl", tmp_path / "progress.json"
    done, _ = TimedExecute(timing_file=str(timing), progress_file=str(progress),
                           kernel_name="python3").preprocess(
        nb, {"unique_key": "demo", "metadata": {"path": str(tmp_path)}})
    assert done.cells[1].execution_count == 2
    record = json.loads(timing.read_text())
    assert record["notebook"] == "demo" and record["seconds"] > 0.3
    assert nbformat.validate(done) is None
    # the last cell it started, as a timeout would report it
    assert json.loads(progress.read_text()) == {"notebook": "demo", "index": 1,
                                                "grade_id": "answer"}


def tail_notebook():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    test = new_code_cell("assert x == 1", metadata={"nbgrader": {
        "grade_id": "test", "grade": True, "points": 1, "solution": False, "locked": True}})
    return new_notebook(cells=[
        new_code_cell("x = 1"), test, new_markdown_cell("## Going further"),
        new_code_cell("open('tail-ran', 'w').close()"), new_code_cell("y = 2")])


def run_tail(tmp_path, skip_tail_of: str):
    done, _ = TimedExecute(kernel_name="python3", skip_tail_of=skip_tail_of).preprocess(
        tail_notebook(), {"unique_key": "tail", "metadata": {"path": str(tmp_path)}})
    return done


def test_last_graded_counts_tests_answers_and_tasks():
    from nbformat.v4 import new_markdown_cell

    nb = tail_notebook()
    assert last_graded(nb) == 1
    nb.cells.append(new_markdown_cell("Explain", metadata={"nbgrader": {
        "grade_id": "why", "task": True, "points": 2}}))
    assert last_graded(nb) == 5
    nb.cells = nb.cells[2:4]
    assert last_graded(nb) == -1


def test_quick_mode_leaves_the_tail_unrun_and_says_so_once(tmp_path):
    done = run_tail(tmp_path, "tail")
    assert done.cells[1].execution_count == 2 and not done.cells[1].outputs  # the test ran
    assert not (tmp_path / "tail-ran").exists()
    assert [o.text for o in done.cells[3].outputs] == [TAIL_NOTE]
    assert done.cells[4].outputs == [] and done.cells[4].execution_count is None


@pytest.mark.parametrize("skip_tail_of", ["", "a-later-notebook"])
def test_without_quick_mode_or_in_an_earlier_notebook_every_cell_runs(tmp_path, skip_tail_of):
    done = run_tail(tmp_path, skip_tail_of)
    assert (tmp_path / "tail-ran").exists()
    assert done.cells[4].execution_count == 4


def test_the_last_notebook_is_the_last_autograde_runs(tmp_path):
    assert last_notebook(tmp_path) == ""
    for name in ("part-b.ipynb", "part.ipynb", "a.ipynb", "z.txt"):
        (tmp_path / name).touch()
    assert last_notebook(tmp_path) == "part"  # "part-b.ipynb" sorts first: "-" < "."


def test_use_timed_execute_passes_quick_mode_on():
    config = Config()
    use_timed_execute(config, "t.jsonl", skip_tail_of="01-pickle")
    assert TimedExecute(config=config).skip_tail_of == "01-pickle"
    assert TimedExecute(config=Config()).skip_tail_of == ""


def test_read_timings_sums_notebooks_and_skips_a_line_cut_short(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"notebook": "a", "seconds": 1.5}\n{"notebook": "b", "seconds": 2}\n'
                    '{"notebook": "c", "sec')
    assert read_timings(path) == 3.5
    assert read_timings(tmp_path / "missing.jsonl") == 0.0
