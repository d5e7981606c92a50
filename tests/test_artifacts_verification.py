"""autograder.artifacts.verification: verify_file runs analyze → gate → reload → stage ladder →
compare, stops at the first step that fails, and says where (a Conclusion), never raising for
a bad file. The sandboxed child is replaced by a stub here, so every stop is reached in
milliseconds; tests/test_check.py runs the real child."""

from pathlib import Path

import numpy as np
import pytest

from autograder.artifacts import verification
from autograder.artifacts.analysis import Report
from autograder.artifacts.enums import Conclusion, ErrorKind, Format, Stage, Verdict
from autograder.artifacts.reload import Reloaded
from autograder.artifacts.sandbox import Layer
from autograder.artifacts.verification import Expected, Rebuild, verify_file

LABELS = np.array([0, 1, 1, 0])
DONE = Reloaded(stage=Stage.DONE, outputs=(LABELS,), output_names=("output",),
                layers=(Layer.FOLDER, Layer.NETWORK))


class Child:
    """Stands in for the sandboxed child: reports `reloaded`, records how it was called."""

    def __init__(self, reloaded: Reloaded = DONE):
        self.reloaded, self.calls = reloaded, []

    def __call__(self, report, inputs, **kwargs):
        self.calls.append({"report": report, "inputs": inputs, **kwargs})
        kwargs["while_waiting"]()  # as sandbox.run does, while the child starts
        return self.reloaded


@pytest.fixture
def analysed(monkeypatch):
    """Set what `analyze` finds (a PICKLE judged SAFE unless told); returns the setter."""
    found = {"report": Report(path="model.pkl", format=Format.PICKLE, detail="",
                              verdict=Verdict.SAFE)}

    def analyze(path, *, max_bytes, trusted):
        found["asked"] = {"path": path, "max_bytes": max_bytes, "trusted": trusted}
        return found["report"]

    def set_report(fmt=Format.PICKLE, verdict=Verdict.SAFE):
        found["report"] = Report(path="model.pkl", format=fmt, detail="", verdict=verdict)
        return found

    monkeypatch.setattr(verification, "analyze", analyze)
    return set_report


@pytest.fixture
def child(monkeypatch):
    stub = Child()
    monkeypatch.setattr(verification, "reload", stub)
    return stub


def expect(outputs=LABELS, proba=None):
    return lambda report: Expected(outputs=outputs, proba=proba)


def never(report):
    raise AssertionError("the expected outputs were computed for a file that is never loaded")


def verify(expected=None, **kwargs):
    return verify_file("model.pkl", Path("inputs.npy"), expected or expect(), **kwargs)


@pytest.mark.parametrize("verdict, conclusion", [
    (Verdict.UNREADABLE, Conclusion.UNREADABLE),
    (Verdict.UNSAFE, Conclusion.REFUSED),
])
def test_an_unreadable_or_unsafe_file_is_never_loaded(analysed, child, verdict, conclusion):
    analysed(verdict=verdict)
    v = verify(never, timeout=7)
    assert v.conclusion == conclusion and child.calls == []
    assert (v.loaded, v.identical, v.layers, v.reloaded) == (False, False, (), None)
    assert v.limits.wall_seconds == 7  # the limits are known even when no child ran


def test_an_empty_file_stops_at_analysis(tmp_path, monkeypatch):
    (tmp_path / "model.pkl").write_bytes(b"")
    monkeypatch.setattr(verification, "reload", None)  # calling it would raise
    v = verify_file(tmp_path / "model.pkl", tmp_path / "inputs.npy", never)
    assert v.conclusion == Conclusion.UNREADABLE and v.report.verdict == Verdict.UNREADABLE


def test_weights_whose_class_cannot_be_named_are_not_loaded(analysed, child):
    analysed(fmt=Format.SAFETENSORS)
    v = verify(never, rebuild=Rebuild(problem="CreditMLP is defined in __main__"))
    assert (v.conclusion, v.problem) == (Conclusion.UNREBUILDABLE,
                                         "CreditMLP is defined in __main__")
    assert child.calls == []


@pytest.mark.parametrize("fmt, method", [
    (Format.SAFETENSORS, "value"),  # the tensors themselves need no class
    (Format.PICKLE, "predict"),  # a pickle rebuilds its object itself
])
def test_a_rebuild_problem_matters_only_for_a_weights_only_model(analysed, child, fmt, method):
    analysed(fmt=fmt)
    v = verify(method=method, rebuild=Rebuild(problem="no class"))
    assert v.conclusion == Conclusion.IDENTICAL and v.problem == ""


def test_the_child_gets_the_class_the_allowlist_and_the_options(analysed, child):
    found = analysed(fmt=Format.TORCH)
    trusted = (("collections", "OrderedDict"),)
    verify(method="predict_proba", trusted=trusted, max_bytes=1234, warm=False, timeout=9,
           rebuild=Rebuild(model_class="course:CreditMLP", model_kwargs={"hidden": 8}))
    assert found["asked"] == {"path": "model.pkl", "max_bytes": 1234, "trusted": trusted}
    [call] = child.calls
    # The child loads with the same allowlist the analysis judged the file by.
    assert (call["trusted"], call["method"], call["warm"]) == (trusted, "predict_proba", False)
    assert (call["model_class"], call["model_kwargs"]) == ("course:CreditMLP", {"hidden": 8})
    assert call["limits"].wall_seconds == 9 and call["report"] is found["report"]


@pytest.mark.parametrize("stage, error_kind, conclusion", [
    (Stage.TIMEOUT, ErrorKind.NONE, Conclusion.TIMEOUT),
    (Stage.CRASHED, ErrorKind.NONE, Conclusion.CRASHED),
    (Stage.IMPORT, ErrorKind.RAISED, Conclusion.NOT_LOADED),
    (Stage.LOAD, ErrorKind.REFUSED, Conclusion.NOT_LOADED),
    (Stage.PREDICT, ErrorKind.MISSING_METHOD, Conclusion.MISSING_METHOD),
    (Stage.PREDICT, ErrorKind.RAISED, Conclusion.CALL_FAILED),
])
def test_how_far_the_child_got_is_the_conclusion(analysed, child, stage, error_kind,
                                                 conclusion):
    child.reloaded = Reloaded(stage=stage, error_kind=error_kind)
    v = verify()
    assert v.conclusion == conclusion
    assert v.reloaded is child.reloaded and v.expected.outputs is LABELS
    assert v.comparison is None and v.got is None
    assert v.loaded == (stage == Stage.PREDICT)  # it loaded; the call failed


def test_expected_outputs_that_cannot_be_computed_end_the_flow(analysed, child):
    error = ValueError("X has 3 features, but the model expects 5")

    def broken(report):
        assert report.format == Format.PICKLE  # it is told what the analysis found
        raise error

    v = verify(broken)
    # The child finished, but there is nothing to compare its outputs with.
    assert (v.conclusion, v.error, v.expected) == (Conclusion.NO_EXPECTED, error, None)
    assert len(child.calls) == 1


@pytest.mark.parametrize("got, conclusion", [
    (LABELS.copy(), Conclusion.IDENTICAL),
    (np.array([0, 1, 0, 0]), Conclusion.DIFFERENT),
    (np.array([0, 1, 1]), Conclusion.SHAPE_DIFFERS),
])
def test_the_outputs_are_compared(analysed, child, got, conclusion):
    child.reloaded = Reloaded(stage=Stage.DONE, outputs=(got,), output_names=("output",))
    v = verify()
    assert v.conclusion == conclusion and v.got is got
    assert v.identical == (conclusion == Conclusion.IDENTICAL)
    assert bool(v.comparison.problem) == (conclusion == Conclusion.SHAPE_DIFFERS)


def test_an_output_that_does_not_exist_is_its_own_conclusion(analysed, child):
    assert verify(output="probabilities").conclusion == Conclusion.NO_OUTPUT
    assert verify(output=3).conclusion == Conclusion.NO_OUTPUT
    assert verify(output="output").conclusion == Conclusion.IDENTICAL


def test_the_tolerance_reaches_the_comparison(analysed, child):
    analysed(fmt=Format.ONNX)
    child.reloaded = Reloaded(stage=Stage.DONE, outputs=(np.array([1.001, 2.0]),),
                              output_names=("variable",))
    want = expect(np.array([1.0, 2.0]))
    assert verify(want).conclusion == Conclusion.DIFFERENT  # beyond the default rtol of 1e-4
    assert verify(want, rtol=1e-2).conclusion == Conclusion.IDENTICAL
    assert verify(want, rtol=0, atol=1e-2).conclusion == Conclusion.IDENTICAL


def test_onnx_labels_are_judged_with_the_models_own_probabilities(analysed, child):
    """Row 0 is tied in the reference's probabilities, row 2 only in the ONNX model's own."""
    analysed(fmt=Format.ONNX)
    reference = np.array([[0.5, 0.5], [0.2, 0.8], [0.3, 0.7], [0.9, 0.1]])
    own = np.array([[0.5, 0.5], [0.2, 0.8], [0.5, 0.5000001], [0.9, 0.1]])
    labels = np.array([1, 1, 0, 0])  # rows 0 and 2 differ from LABELS
    want = expect(LABELS, proba=reference)
    child.reloaded = Reloaded(stage=Stage.DONE, outputs=(labels, own),
                              output_names=("output_label", "output_probability"))
    v = verify(want)
    assert v.conclusion == Conclusion.IDENTICAL and (v.comparison.n_ties, v.got) == (2, labels)
    child.reloaded = Reloaded(stage=Stage.DONE, outputs=(labels,), output_names=("label",))
    assert verify(want).conclusion == Conclusion.DIFFERENT  # only the reference's tie excused


def test_tie_aware_only_for_onnx_labels():
    assert verification.tie_aware(Format.ONNX, "predict")
    assert verification.tie_aware("onnx", "predict")  # a format's value is the format
    assert not verification.tie_aware(Format.ONNX, "predict_proba")
    assert not verification.tie_aware(Format.PICKLE, "predict")


def test_inputs_in_memory_reach_the_child_as_a_folder_removed_afterwards(analysed, monkeypatch):
    seen = {}

    def reload(report, inputs, **kwargs):
        seen["inputs"], seen["files"] = inputs, sorted(p.name for p in inputs.iterdir())
        kwargs["while_waiting"]()
        return DONE

    monkeypatch.setattr(verification, "reload", reload)
    v = verify_file("model.pkl", np.arange(6.0).reshape(3, 2), expect())
    assert v.conclusion == Conclusion.IDENTICAL
    assert "array.npy" in seen["files"]
    assert not seen["inputs"].exists()


def test_the_layers_are_the_childs_walls(analysed, child):
    assert verify().layers == (Layer.FOLDER, Layer.NETWORK)
