"""autograder.pages.figures: a page's figures are looked up in docs/benchmarks.json, written
with common.units, and every number-with-a-unit a page shows is one it looked up (or quoted)."""

import json
import math

import pytest

from autograder.pages import figures
from autograder.pages.figures import Figure, Results

DATA = {
    "command": "autograder bench --quick", "started": "2026-01-02 03:04 UTC",
    "machine": {"cpu": "Test CPU", "cores": 2, "ram_gib": 15.5, "os": "Linux",
                "packages": "numpy 2.0"},
    "sections": [
        {"key": "formats", "title": "Format figures", "started": "2026-01-02 05:00 UTC",
         "facts": {"pickle-runs-payload": True, "zero": 0},
         "measurements": [{"key": "pickle-size", "median": 3_627_000, "unit": "bytes", "n": 1},
                          {"key": "pickle-save", "median": "0.0123", "unit": "s", "n": "5"}]},
        {"key": "course", "title": "Course", "measurements": []},
    ],
}


def test_a_typed_figure_is_caught_and_a_quoted_one_is_not():
    figure = figures.Figure("formats.pickle-size", 3_627_000, "bytes", 1, "Format figures")
    text = (f"pickle: {figure.text}; joblib: 966 KB; a limit of "
            f"{figures.quoted('2 GB', 'https://onnx.ai')}; “10–100x faster” as the seed says")
    assert figures.untraced(text, [figure]) == ["966 KB"]


@pytest.mark.parametrize("value, unit, text", [
    (0.0123, "s", "12.3 ms"),
    (3_627_000, "bytes", "3.6 MB"),
    (3.5, "×", "3.50×"),
    (2.0, "", "2"),  # a count stays whole
    (4.2e-5, "", "4.2e-05"),  # a tiny ratio keeps its digits instead of showing 0.0000
    (-4.2e-5, "", "-4.2e-05"),
    (0.0, "", "0"),
    (math.nan, "", "—"),
    (15.5, "GiB", "15.5 GiB"),  # any other unit is written after the number
])
def test_a_figure_is_written_in_its_unit(value, unit, text):
    assert Figure("s.k", value, unit, 1, "S").text == text


def test_a_figure_is_found_by_section_and_key_and_recorded():
    results = Results(DATA)
    figure = results.figure("formats.pickle-save")
    # JSON written by hand may hold strings: the figure is numbers all the same.
    assert figure == Figure("formats.pickle-save", 0.0123, "s", 5, "Format figures")
    assert results.text("formats.pickle-size") == "3.6 MB"
    assert [f.ref for f in results.used] == ["formats.pickle-save", "formats.pickle-size"]


@pytest.mark.parametrize("ref", ["formats.onnx-size", "nowhere.pickle-size", "formats",
                                 "course.pickle-size"])
def test_a_figure_not_measured_says_so_and_is_not_recorded(ref):
    results = Results(DATA)
    assert results.figure(ref) is None
    assert results.text(ref) == figures.NOT_MEASURED
    assert results.used == []


def test_facts_are_observations_with_none_for_unknown():
    results = Results(DATA)
    assert results.fact("formats.pickle-runs-payload") is True
    assert results.fact("formats.zero") == 0
    assert results.fact("formats.torch-needs") is None
    assert results.fact("course.anything") is None  # a section without facts


def test_load_reads_a_benchmarks_file(tmp_path):
    path = tmp_path / "benchmarks.json"
    path.write_text(json.dumps(DATA), encoding="utf-8")
    assert Results.load(path).text("formats.pickle-size") == "3.6 MB"


def test_the_run_names_command_date_and_machine_and_traces_its_memory():
    results = Results(DATA)
    line = results.run()
    assert line == ("`autograder bench --quick`, started 2026-01-02 03:04 UTC, on Test CPU "
                    "(2 cores, 15.5 GiB of memory, Linux; numpy 2.0)")
    assert figures.untraced(line, results.used) == []  # its memory figure is a looked-up one


def test_the_run_of_an_empty_file_has_no_figure_to_trace():
    results = Results({})
    line = results.run()
    assert line.startswith("`autograder bench`, started ?, on ? (? cores")
    assert figures.untraced(line, results.used) == []


@pytest.mark.parametrize("section, started", [
    ("formats", "2026-01-02 05:00 UTC"),  # its own date
    ("course", "2026-01-02 03:04 UTC"),  # the run's
    ("missing", "2026-01-02 03:04 UTC"),
])
def test_a_section_started_when_it_says_or_with_the_run(section, started):
    assert Results(DATA).started(section) == started


def test_an_undated_run_started_at_an_unknown_time():
    assert Results({}).started("formats") == "?"


def test_quoted_links_the_figure_to_its_source():
    assert figures.quoted("2 GB", "https://onnx.ai") == "[quoted: 2 GB](https://onnx.ai)"


@pytest.mark.parametrize("text, found", [
    ("saves in 12.3 ms and loads in 4 s", ["12.3 ms", "4 s"]),
    ("reads 1.5 GB/s, writes 812 MB/s", ["1.5 GB/s", "812 MB/s"]),  # the rate, not the size
    ("1,234 bytes, 3.50× and 15.4 %", ["1,234 bytes", "3.50×", "15.4 %"]),
    ("took 12 seconds on python3.12 s-series, 2 cores", []),  # words, versions, counts
    ("see [1 · 12 ms](x.ipynb#a) for “a 10 ms budget”", []),  # link labels and quotations
    ("a [quoted: 2 GB](https://onnx.ai) limit", []),
])
def test_untraced_finds_the_numbers_with_units(text, found):
    assert figures.untraced(text, []) == found


def test_untraced_accepts_every_figure_the_page_looked_up():
    results = Results(DATA)
    text = f"{results.text('formats.pickle-size')} in {results.text('formats.pickle-save')}"
    assert figures.untraced(text, results.used) == []
    assert figures.untraced(text, results.used[:1]) == ["12.3 ms"]


def test_a_looked_up_duration_over_a_minute_is_traced():
    figure = Figure("course.run", 125.0, "s", 1, "Course")
    assert figures.untraced(f"the lesson runs in {figure.text}", [figure]) == []
