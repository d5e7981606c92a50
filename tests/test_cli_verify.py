"""`autograder verify`: analyses a saved model as `inspect` does, reloads it only in a sandboxed
fresh process, and compares its predictions with the expected ones; exit 0 (identical under the
format's policy), 1 (different, or refused as unsafe), 2 (cannot be loaded), each failure one
line or one JSON object.

`verify` is run as a real command for every benign artifact (two at a time: each loads its
artifact in a fresh sandboxed child), so these are end-to-end tests of the whole checker.
"""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import corpus as corpora
import numpy as np
import pytest
from commandline import command

from autograder import cli

INSPECT_FIELDS = {"path", "format", "verdict", "findings"}
VERIFY_FIELDS = INSPECT_FIELDS | {"identical", "n_rows", "n_differ", "max_abs_diff",
                                  "load_seconds"}


def verify_args(case: corpora.Case) -> list[str]:
    args = ["verify", case.path, "--expected", case.expected, "--method", case.method]
    if case.inputs is not None:
        args += ["--inputs", case.inputs]
    if case.model_class:
        args += ["--model-class", case.model_class, "--model-kwargs",
                 json.dumps(case.model_kwargs)]
    if case.max_bytes:
        args += ["--max-bytes", str(case.max_bytes)]
    return args


def run_json(*args) -> tuple[int, dict, str]:
    done = command(*args, "--json")
    assert done.stderr == "", done.stderr
    assert done.stdout.count("\n") == 1  # exactly one JSON object on one line
    return done.returncode, json.loads(done.stdout), done.stdout


def test_verify_passes_every_benign_artifact(corpus):
    def one(case):
        return case, run_json(*verify_args(case))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, corpus.benign))
    failures = {case.name: fields.get("message") for case, (code, fields, _) in results
                if code != 0}
    assert not failures
    for case, (_code, fields, _raw) in results:
        assert VERIFY_FIELDS <= set(fields)
        assert fields["identical"] is True and fields["n_differ"] == 0
        assert fields["n_rows"] > 0 and fields["load_seconds"] >= 0
        assert fields["format"] == case.format
        assert fields["network_isolated"] is not None


def test_verify_refuses_every_malicious_artifact_without_loading_it(corpus, tmp_path):
    np.save(tmp_path / "X.npy", np.zeros((3, 10)))
    np.save(tmp_path / "Y.npy", np.zeros(3))
    for case in corpus.malicious:
        code, fields, _ = run_json("verify", case.path, "--inputs", tmp_path / "X.npy",
                                   "--expected", tmp_path / "Y.npy")
        assert code == 1, (case.name, fields["message"])
        assert "unsafe, refused" in fields["message"]
        assert fields["isolation"] == [] and "seconds" not in fields  # no child started
    assert list(corpus.canaries.iterdir()) == []


def test_verify_on_corrupted_inputs(corpus, tmp_path):
    np.save(tmp_path / "X.npy", np.zeros((3, 10)))
    np.save(tmp_path / "Y.npy", np.zeros(3))
    expected_codes = {"safe": 0, "unsafe": 1, "unreadable": 2}
    for case in corpus.corrupted:
        if case.expected is not None:
            args = verify_args(case)
        else:
            args = ["verify", case.path, "--inputs", tmp_path / "X.npy", "--expected",
                    tmp_path / "Y.npy"]
            if case.max_bytes:
                args += ["--max-bytes", case.max_bytes]
        code, fields, _ = run_json(*args)
        assert code == expected_codes[case.verdict], (case.name, fields)
        assert fields["verdict"] == case.verdict
        assert "\n" not in fields["message"]


def test_verify_reports_differences(corpus, tmp_path):
    case = corpus.case("logreg.pkl")
    wrong = 1 - np.load(case.expected)
    np.save(tmp_path / "wrong.npy", wrong)
    code, fields, _ = run_json("verify", case.path, "--inputs", case.inputs, "--expected",
                               tmp_path / "wrong.npy")
    assert code == 1 and fields["identical"] is False
    assert fields["n_differ"] == fields["n_rows"] == len(wrong)
    assert fields["max_abs_diff"] == 1.0
    assert "differs on" in fields["message"]


def test_verify_onnx_probabilities_and_tolerances(tmp_path):
    """A logistic regression in float32 ONNX: probabilities within 1e-6, not bit-identical."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, numeric, _, y = corpora.data()
    X = numeric.astype(np.float32)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    (tmp_path / "lr.onnx").write_bytes(
        to_onnx(model, X[:1], options={"zipmap": False}).SerializeToString())
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "proba.npy", model.predict_proba(X))
    args = ["verify", tmp_path / "lr.onnx", "--inputs", tmp_path / "X.npy", "--expected",
            tmp_path / "proba.npy"]
    code, fields, _ = run_json(*args, "--method", "predict_proba")
    assert code == 0 and 0 < fields["max_abs_diff"] < 1e-6, fields
    assert fields["policy"].startswith("tolerance")
    code, fields, _ = run_json(*args, "--method", "predict_proba", "--rtol", "0", "--atol", "0")
    assert code == 1 and fields["n_differ"] > 0
    code, fields, _ = run_json(*args, "--output", "probabilities")
    assert code == 0
    code, fields, _ = run_json(*args, "--output", "no_such_output")
    assert code == 1 and "no output" in fields["message"]


def test_verify_onnx_labels_at_ties_are_reported_not_counted(corpus, tmp_path):
    """The float32 forest flips labels where the votes are tied: reported, not counted."""
    import joblib

    case = corpus.case("forest_skl2onnx.onnx")
    code, fields, _ = run_json(*verify_args(case))
    assert code == 0 and fields["n_differ"] == 0 and fields["n_ties"] > 0, fields
    assert "tie-aware" in fields["policy"]
    # The same flips against the reference's own probabilities (--expected-proba).
    forest = joblib.load(corpus.case("forest.joblib").path)
    np.save(tmp_path / "proba.npy", forest.predict_proba(np.load(case.inputs)))
    code, with_reference, _ = run_json(*verify_args(case), "--expected-proba",
                                       tmp_path / "proba.npy")
    assert code == 0 and with_reference["n_ties"] == fields["n_ties"]
    # A label flipped where nothing is tied is a real difference.
    labels = np.load(case.expected)
    proba = np.load(tmp_path / "proba.npy")
    clear = int(np.argmax(np.abs(proba[:, 0] - proba[:, 1])))
    labels[clear] = 1 - labels[clear]
    np.save(tmp_path / "wrong.npy", labels)
    code, fields, _ = run_json("verify", case.path, "--inputs", case.inputs, "--expected",
                               tmp_path / "wrong.npy")
    assert code == 1 and fields["n_differ"] == 1


def test_verify_weights_only_needs_the_model_class(corpus):
    case = corpus.case("credit_mlp.safetensors")
    done = command("verify", case.path, "--inputs", case.inputs, "--expected", case.expected)
    assert done.returncode == 2 and "--model-class" in done.stdout
    assert done.stdout.count("\n") == 1


def test_unreadable_expected_file_is_a_one_line_error(corpus, tmp_path):
    case = corpus.case("credit_mlp.onnx")
    (tmp_path / "bad.npy").write_bytes(b"not an npy file")
    done = command("verify", case.path, "--inputs", case.inputs, "--expected",
                   tmp_path / "bad.npy")
    assert done.returncode == 2 and done.stdout.count("\n") == 1
    assert "expected outputs" in done.stdout


def test_verify_reports_the_sandbox_layers(corpus):
    """Each check says which walls the sandbox had here (its speed is measured by make bench)."""
    code, fields, _ = run_json(*verify_args(corpus.case("credit_mlp.onnx")))
    assert code == 0 and fields["network_isolated"] == ("no network" in fields["isolation"])
    assert {"temporary folder", "scrubbed environment", "wall-clock timeout"} <= \
        set(fields["isolation"])


# ------------------------------------------------------- the arguments and each outcome


@pytest.mark.parametrize("args, message", [
    ([], "--inputs is required unless --method value"),
    (["--inputs", "X.npy", "--model-kwargs", "{hidden: 8}"], "--model-kwargs is not JSON"),
])
def test_arguments_are_checked_before_any_child_starts(tmp_path, capsys, args, message):
    code = cli.main(["verify", str(tmp_path / "model.pkl"), "--expected", "Y.npy", *args])
    out = capsys.readouterr().out
    assert code == 2 and message in out and out.count("\n") == 1


@pytest.mark.parametrize("given, output", [("0", 0), ("-1", -1), ("label", "label")])
def test_output_is_an_index_when_it_is_a_number(given, output):
    args = cli.build_parser().parse_args(["verify", "m.onnx", "--expected", "Y.npy",
                                          "--output", given])
    assert args.output == output


@pytest.fixture
def small(tmp_path):
    """Inputs and outputs for 3 rows, a pickled dict (no predict()), a pickle of a trusted class
    whose module does not exist, and an array for `--method value`."""
    np.save(tmp_path / "X.npy", np.zeros((3, 2)))
    np.save(tmp_path / "Y.npy", np.zeros(3))
    (tmp_path / "dict.pkl").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    (tmp_path / "ghost.pkl").write_bytes(b"\x80\x04cno_such_module\nGhost\n)\x81.")
    np.save(tmp_path / "five.npy", np.arange(5.0))
    return tmp_path


@pytest.mark.parametrize("name, extra, code, line", [
    ("dict.pkl", [], 1, "dict.pkl: loaded a builtins.dict, which has no predict()"),
    ("ghost.pkl", ["--trust", "no_such_module:Ghost"], 2,
     "ghost.pkl: cannot be loaded: ModuleNotFoundError: No module named 'no_such_module'"),
    ("dict.pkl", ["--timeout", "0.001"], 2,
     "dict.pkl: loading and predicting took longer than 0.001 s"),
    ("five.npy", ["--method", "value"], 1,
     "five.npy: output shape (5,) differs from the expected (3,)"),
])
def test_each_way_it_stops_is_one_line_with_its_exit_code(small, capsys, name, extra, code,
                                                          line):
    assert cli.main(["verify", str(small / name), "--inputs", str(small / "X.npy"),
                     "--expected", str(small / "Y.npy"), *extra]) == code
    assert capsys.readouterr().out == line + "\n"
