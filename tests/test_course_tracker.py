"""Tests for autograder.course.tracker: a real pickle round trip step by step, errors, reset,
widget."""

from __future__ import annotations

import pickle
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autograder.course.tracker import Step, StepThrough, describe

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
X = np.array([[0.0], [1.0], [2.0], [3.0]])
Y = np.array([0, 0, 1, 1])
DISK = "model.pkl on disk"

STEPS = [
    Step("Train the model", "model = train()\nprint('trained')"),
    Step("Serialize", "f = open(PATH, 'wb')\npickle.dump(model, f)"),
    Step(
        "Deserialize", "f.close()\nf = open(PATH, 'rb')\nloaded_model = pickle.load(f)\ndel model"
    ),
    Step("Use the model", "f.close()\npredictions = loaded_model.predict(X_new)"),
]


def train() -> LogisticRegression:
    return LogisticRegression().fit(X, Y)


def make_tracker(path: Path, resets: list[dict] | None = None) -> StepThrough:
    def on_reset(namespace: dict) -> None:
        path.unlink(missing_ok=True)
        if resets is not None:
            resets.append(namespace)

    return StepThrough(
        STEPS,
        namespace={"pickle": pickle, "train": train, "PATH": path, "X_new": X},
        watch=["model", "f", "loaded_model", "predictions"],
        probes={DISK: lambda ns: f"{path.stat().st_size:,} bytes" if path.exists() else "absent"},
        on_reset=on_reset,
    )


def by_class(root: widgets.Widget, css_class: str) -> widgets.Widget:
    """The single widget under `root` (inclusive) carrying `css_class`."""
    found, stack = [], [root]
    while stack:
        widget = stack.pop()
        found += [widget] if css_class in widget._dom_classes else []
        stack += getattr(widget, "children", ())
    [only] = found
    return only


def test_run_all_tracks_the_real_pickle_round_trip(tmp_path: Path) -> None:
    table = make_tracker(tmp_path / "model.pkl").run_all()
    assert list(table.columns) == ["Start"] + [f"After step {n}" for n in range(1, 5)]
    assert list(table.index) == ["model", "f", "loaded_model", "predictions", DISK]
    assert table["Start"].tolist() == ["None"] * 4 + ["absent"]
    assert table.loc["model"].tolist() == ["None"] + ["LogisticRegression (fitted)"] * 2 + [
        "None",  # deleted with `del model`, as in a fresh process
        "None",
    ]
    assert table.loc["f"].tolist() == [
        "None",
        "None",
        "open for write ('wb')",
        "open for read ('rb')",
        "closed",
    ]
    assert table.loc["loaded_model", "After step 2"] == "None"  # before deserializing
    assert table.loc["loaded_model", "After step 3"] == "LogisticRegression (fitted)"
    assert table.loc["predictions", "After step 4"] == "array (shape (4,), int64): [0 0 1 1]"
    size = f"{(tmp_path / 'model.pkl').stat().st_size:,} bytes"
    assert table.loc[DISK, "After step 3"] == table.loc[DISK, "After step 4"] == size
    assert table.loc[DISK, "After step 1"] == "absent"


def test_next_runs_one_step_and_captures_output(tmp_path: Path) -> None:
    tracker = make_tracker(tmp_path / "model.pkl")
    assert list(tracker.table.columns) == ["Start"]
    assert tracker.next() == 1
    assert tracker.output == "trained\n"
    assert list(tracker.table.columns) == ["Start", "After step 1"]
    assert tracker.next() == 2 and tracker.output == ""
    tracker.next()
    tracker.next()
    with pytest.raises(IndexError, match="All 4 steps have run"):
        tracker.next()


def test_reset_restores_initial_state_and_calls_on_reset(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    resets: list[dict] = []
    tracker = make_tracker(path, resets)
    assert len(resets) == 1  # construction starts from a clean slate too
    tracker.run_all()
    assert len(resets) == 2 and path.exists()
    tracker.reset()
    assert len(resets) == 3 and resets[-1] is tracker.namespace
    assert not path.exists()
    assert list(tracker.table.columns) == ["Start"]
    assert tracker.table["Start"].tolist() == ["None"] * 4 + ["absent"]
    assert "loaded_model" not in tracker.namespace and "model" not in tracker.namespace
    assert tracker.next() == 1


def test_failing_step_reports_one_line_and_does_not_advance(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    steps = [STEPS[0], Step("Serialize in text mode", "f = open(PATH, 'w')\npickle.dump(model, f)")]
    tracker = StepThrough(
        steps,
        namespace={"pickle": pickle, "train": train, "PATH": path},
        watch=["f"],
        probes={DISK: lambda ns: f"{path.stat().st_size} bytes" if path.exists() else "absent"},
    )
    tracker.next()
    with pytest.raises(TypeError):
        tracker.next()
    header = "Step 2 failed: TypeError: write() argument must be str, not bytes"
    assert list(tracker.table.columns) == ["Start", "After step 1", header]
    assert tracker.table[header].tolist() == ["open for write ('w')", "0 bytes"]  # empty file
    assert tracker.position == 1

    root = tracker.widget
    assert (
        "TypeError: write() argument must be str, not bytes"
        in by_class(root, "stepthrough-code").value
    )
    tracker.namespace["f"].close()  # the retry below opens the file again
    by_class(root, "stepthrough-next").click()  # the widget shows the error; nothing raised
    assert tracker.position == 1
    assert not by_class(root, "stepthrough-next").disabled
    handle = tracker.namespace["f"]
    tracker.reset()
    assert handle.closed  # reset closes files the steps left open


def test_widget_next_button_advances_and_disables_at_the_end(tmp_path: Path) -> None:
    tracker = make_tracker(tmp_path / "model.pkl")
    root = tracker.widget
    assert "stepthrough" in root._dom_classes
    next_button = by_class(root, "stepthrough-next")
    code, table = by_class(root, "stepthrough-code"), by_class(root, "stepthrough-table")
    assert "model = train()" in code.value  # step 1 previewed at the start
    assert "After step 1" not in table.value

    next_button.click()
    assert tracker.position == 1
    assert "trained" in code.value and "After step 1" in table.value
    assert "background-color: #fff3bf" in table.value  # the column just filled

    next_button.click()
    assert "pickle.dump(model, f)" in code.value
    assert "open for write (&#39;wb&#39;)" in table.value  # escaped
    next_button.click()
    next_button.click()
    assert tracker.position == 4 and next_button.disabled

    by_class(root, "stepthrough-reset").click()
    assert tracker.position == 0 and not next_button.disabled
    assert "After step 1" not in table.value


def test_mimebundle_has_widget_and_static_fallbacks(tmp_path: Path) -> None:
    tracker = make_tracker(tmp_path / "model.pkl")
    tracker.next()
    bundle = tracker._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    page, text = bundle["text/html"], bundle["text/plain"]
    assert "After step 1" in page and "LogisticRegression (fitted)" in page
    for step in STEPS:
        assert step.title in page and step.title in text
    assert "f = open(PATH, &#x27;wb&#x27;)" in page
    assert "    f = open(PATH, 'wb')" in text
    assert "tracker.run_all()" in page and "tracker.run_all()" in text


def test_describe() -> None:
    assert describe(None) == "None"
    assert describe(LogisticRegression()) == "LogisticRegression (not fitted)"
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, Y)
    assert describe(pipeline) == "Pipeline (fitted)"
    assert describe(np.arange(20)) == "array (shape (20,), int64): [0 1 2 3 4 5 6 7 …]"
    assert describe(3) == "int: 3"
    long = describe("x" * 500)
    assert long.startswith("str: 'xxx") and len(long) <= 60


def test_describe_torch_values() -> None:
    """A state_dict, a tensor and a module read as what they are, never as a raw repr."""
    import torch

    from autograder.course.models import CreditMLP

    model = CreditMLP(hidden=(4,))
    assert describe(model.state_dict()) == "OrderedDict of 4: net.0.weight, net.0.bias, …"
    assert describe(torch.tensor([1, 0, 1])) == "tensor (shape (3,), torch.int64): [1 0 1]"
    assert describe(model.eval()) == "CreditMLP (eval mode)"
    assert describe({"a": 1}) == "dict of 1: a"


def test_describe_files(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    with open(path, "wb") as handle:
        assert describe(handle) == "open for write ('wb')"
    assert describe(handle) == "closed"
    with open(path) as handle:
        assert describe(handle) == "open for read ('r')"


def test_step_with_a_syntax_error_fails_when_written() -> None:
    with pytest.raises(SyntaxError):
        Step("Broken", "model = (")
