"""bench.formats: every route's figures under stable keys, from fresh processes, and the facts
the claims ledger needs (quick mode: the forest as pickle and ONNX)."""

import pytest

from bench import formats


@pytest.fixture(scope="module")
def section():
    return formats.run(quick=True)


def test_quick_run_measures_each_route_from_a_fresh_process(section):
    keys = {m.key: m for m in section.measurements}
    for route in ("pickle", "onnx-sklearn"):
        for figure in ("size", "save", "startup", "load", "one-row", "batch"):
            assert f"{route}-{figure}" in keys, f"{route}-{figure}"
        assert keys[f"{route}-startup"].median >= keys[f"{route}-load"].median > 0
    assert keys["onnx-sklearn-size"].unit == "bytes" and keys["train-forest"].median > 0
    assert section.facts["onnx-sklearn-needs"] == ["numpy", "onnxruntime"]
    assert "scikit-learn" in section.facts["pickle-needs"]
    assert section.facts["pickle-verdict"] == "safe"
    assert not section.plotted


def test_the_facts_are_observed_not_assumed(section):
    assert section.facts["pickle-runs-payload"] is True
    assert section.facts["weights-only-refuses-payload"] is True
    assert "deprecated" in section.facts["torchscript-warning"]
    keys = {m.key: m for m in section.measurements}
    assert keys["joblib-zlib9-size"].median <= keys["joblib-zlib1-size"].median
    assert keys["libtorch-size"].median > 1e8
