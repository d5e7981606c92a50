"""autograder.pages.formats: the format decision guide, one row per route of formats.toml, every
figure from the benchmark data (or quoted with its source), "not measured" where there is none."""

import json

import pytest

from autograder.common.paths import ROOT
from autograder.pages import figures, formats
from autograder.pages.figures import Results

ROUTE = {"key": "pickle", "name": "pickle", "when": "trusted processes",
         "needs": "Python", "code": "yes", "languages": "Python only",
         "lesson": "01-pickle", "section": "6 · What a pickle holds"}
UNMEASURED = {**ROUTE, "name": "ExecuTorch", "lesson": "03-pytorch", "section": "7 · Deploying"}
del UNMEASURED["key"]


def measured(**facts) -> Results:
    rows = {"size": (412_300, "bytes"), "save": (0.0123, "s"), "startup": (0.52, "s"),
            "batch": (0.002, "s")}  # no one-row figure
    return Results({"sections": [{
        "key": "formats", "title": "Format guide figures", "facts": facts,
        "measurements": [{"key": f"pickle-{column}", "median": value, "unit": unit, "n": 3}
                         for column, (value, unit) in rows.items()]}]})


def test_the_guide_has_a_row_for_every_route_of_the_course():
    names = " ".join(route["name"] for route in formats.routes())
    for route in ("pickle", "joblib", "cloudpickle", "skops", "safetensors", "state_dict",
                  "TorchScript", "torch.export", "AOTInductor", "ExecuTorch", "ONNX",
                  "LightGBM", "XGBoost", "Keras"):
        assert route in names, route
    data = json.loads((ROOT / "docs" / "benchmarks.json").read_text())
    keys = {m["key"] for s in data["sections"] for m in s["measurements"]}
    for route in formats.routes():
        if route.get("key"):
            assert f"{route['key']}-size" in keys, f"no measured size for {route['name']}"
        else:
            assert route.get("quoted"), f"{route['name']}: no figure and nothing quoted"


def test_every_route_has_what_its_row_needs_and_a_key_of_its_own():
    routes = formats.routes()
    for route in routes:
        missing = {"name", "when", "needs", "code", "languages", "lesson", "section"} - set(route)
        assert not missing, f"{route['name']}: no {sorted(missing)}"
        assert (ROOT / "lessons" / route["lesson"]).is_dir(), route["lesson"]
    keys = [route["key"] for route in routes if "key" in route]
    assert len(keys) == len(set(keys)), "two routes would show the same figures"


def test_a_measured_row_shows_its_figures_in_column_order():
    row = formats.row(ROUTE, measured())
    assert row[:5] == ["pickle", "trusted processes", "Python", "yes", "Python only"]
    assert row[5:10] == ["412.3 KB", "12.3 ms", "520 ms", figures.NOT_MEASURED, "2.00 ms"]
    assert row[10] == ("[01](../lessons/01-pickle/01-pickle.ipynb"
                       "#6-%C2%B7-What-a-pickle-holds)")


def test_a_measured_row_counts_the_packages_a_fresh_process_imported():
    row = formats.row(ROUTE, measured(**{"pickle-needs": ["numpy", "scipy", "sklearn"]}))
    assert row[2] == "Python; a fresh process imported 3 installed packages"
    assert ROUTE["needs"] == "Python"  # the route itself is left as it was


def test_an_unmeasured_route_shows_only_quoted_figures():
    quoted = {**UNMEASURED, "quoted": [
        {"what": "runtime size", "text": "50 KB", "source": "https://example.org/a"},
        {"what": "startup", "text": "1 ms", "source": "https://example.org/b"}]}
    results = measured()
    row = formats.row(quoted, results)
    assert row[5] == ("runtime size: [quoted: 50 KB](https://example.org/a); "
                      "startup: [quoted: 1 ms](https://example.org/b)")
    assert row[6:10] == [figures.NOT_MEASURED] * 4
    assert results.used == []  # no key: nothing is looked up, not even a same-named figure
    assert formats.row(UNMEASURED, results)[5] == figures.NOT_MEASURED


@pytest.mark.parametrize("value, text", [
    (True, "yes"), (False, "no"), (None, figures.NOT_MEASURED), (0, "no"),
])
def test_yes_no_tells_an_observation_from_a_missing_one(value, text):
    assert formats.yes_no(value) == text


def test_the_flow_quotes_what_was_observed():
    flow = "\n".join(formats.flow(measured(**{
        "pickle-runs-payload": True, "joblib-runs-payload": True,
        "weights-only-refuses-payload": False,
        "torchscript-warning": "TorchScript is deprecated"})))
    assert "ran under `pickle.load`: yes; under `joblib.load`: yes" in flow
    assert "refused the payload: no" in flow
    assert "warns “TorchScript is deprecated”" in flow


def test_the_flow_without_observations_says_not_measured():
    flow = "\n".join(formats.flow(Results({})))
    assert "`pickle.load`: not measured" in flow
    assert f"warns “{figures.NOT_MEASURED}”" in flow


def test_a_page_without_benchmark_data_types_no_figure_by_hand():
    """Every figure in the prose must come from the data: with none, none may appear."""
    results = Results({})
    page = formats.page(results=results)
    assert figures.untraced(page, results.used) == []
    assert page.count("\n| ") == 1 + len(formats.routes())  # the header and one row per route
