"""autograder.grading.timed: nbgrader's Execute, timed, in autograde's own preprocessor list."""

import json

from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets.config import Config

from autograder.grading.timed import TimedExecute, read_timings, use_timed_execute


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


def test_read_timings_sums_notebooks_and_skips_a_line_cut_short(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"notebook": "a", "seconds": 1.5}\n{"notebook": "b", "seconds": 2}\n'
                    '{"notebook": "c", "sec')
    assert read_timings(path) == 3.5
    assert read_timings(tmp_path / "missing.jsonl") == 0.0
