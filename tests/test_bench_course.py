"""Tests for bench.course: a notebook is timed the way the course validates it, a failing one
is reported with its reason, and quick mode measures one generated notebook."""

from __future__ import annotations

import nbformat

from bench import course


def test_quick_run_times_one_tiny_notebook():
    section = course.run(quick=True)
    tiny, total = section.measurements
    assert tiny.name == "00-tiny" and tiny.n == 1 and tiny.median > 0
    assert tiny.met is (tiny.median <= course.EACH_GOAL)  # judged, not asserted
    assert tiny.note == "all tests pass, no stderr"
    assert total.name == "whole course (1 notebook)" and total.median == tiny.median
    assert total.goal == course.TOTAL_GOAL
    assert section.seconds >= tiny.median and "n = 1" in section.intro


def test_a_failing_notebook_is_a_row_with_its_reason(tmp_path):
    path = course.tiny_notebook(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "total = 44"
    nbformat.write(notebook, path)
    rows, notes = course.measure([path])
    assert rows[0].note == "FAILED: 1 problem(s), first: failed: AssertionError:"
    assert rows[0].median > 0 and len(notes) == 1 and "00-tiny" in notes[0]


def test_the_course_is_every_solution_notebook():
    notebooks = course.solution_notebooks()
    assert len(notebooks) >= 7 and all(p.is_file() for p in notebooks)
    assert [p.stem for p in notebooks] == sorted(p.stem for p in notebooks)
