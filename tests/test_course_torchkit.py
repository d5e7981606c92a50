"""autograder.course.torchkit: training that resumes exactly, a checkpoint tagged as if from a
GPU, loads in a fresh process, library sizes, and a C++ build against the wheel's libtorch."""

import pickle

import numpy as np
import pytest
import torch

from autograder.course import torchkit
from autograder.course.models import CreditMLP


@pytest.fixture(scope="module")
def data():
    return torchkit.credit_tensors()


def test_credit_tensors_are_standardized_with_the_training_rows(data):
    assert data.X_train.dtype == torch.float32 and data.X_train.shape[1] == 10
    assert torch.allclose(data.X_train.mean(dim=0), torch.zeros(10), atol=1e-5)
    assert len(data.X_test) == len(data.y_test) and set(data.y_train.unique().tolist()) == {0, 1}


def test_training_stopped_and_resumed_equals_training_straight(data):
    X, y = data.X_train[:600], data.y_train[:600]
    straight, _ = torchkit.train_mlp(X, y, hidden=(8,), epochs=3, seed=5)
    half, optimizer = torchkit.train_mlp(X, y, hidden=(8,), epochs=1, seed=5)
    torchkit.train_epochs(half, optimizer, X, y, range(1, 3), seed=5)
    with torch.no_grad():
        assert torch.equal(half(data.X_test), straight(data.X_test))
    fresh_adam, _ = torchkit.train_mlp(X, y, hidden=(8,), epochs=1, seed=5)
    torchkit.train_epochs(fresh_adam, torch.optim.Adam(fresh_adam.parameters(), lr=0.01), X, y,
                          range(1, 3), seed=5)
    with torch.no_grad():
        assert not torch.equal(fresh_adam(data.X_test), straight(data.X_test))  # state matters


def test_training_works_with_gradients_turned_off(data):
    with torch.no_grad():
        model, _ = torchkit.train_mlp(data.X_train[:300], data.y_train[:300], hidden=(4,), epochs=1)
    assert not model.training


def test_as_if_on_gpu_needs_map_location(tmp_path):
    state = CreditMLP(hidden=(4,)).state_dict()
    with torchkit.as_if_on_gpu():
        torch.save(state, tmp_path / "gpu.pt")
    torch.save(state, tmp_path / "cpu.pt")
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        torch.load(tmp_path / "gpu.pt")
    moved = torch.load(tmp_path / "gpu.pt", map_location="cpu")
    assert all(torch.equal(moved[k], state[k]) for k in state)
    assert torch.load(tmp_path / "cpu.pt")["net.0.weight"].device.type == "cpu"


def test_fresh_load_reports_timings_outputs_and_errors(tmp_path, data):
    model = CreditMLP(hidden=(4,)).eval()
    torch.save(model.state_dict(), tmp_path / "state.pt")
    load = ("from autograder.course.models import CreditMLP\nmodel = CreditMLP(**hparams)\n"
            "model.load_state_dict(torch.load(path))\nmodel.eval()")
    run = torchkit.fresh_load(tmp_path / "state.pt", load, data.X_test[:7], hparams=model.hparams)
    with torch.no_grad():
        assert np.allclose(run["outputs"], model(data.X_test[:7]).numpy(), rtol=1e-6, atol=1e-7)
    assert run["class imported"] and 0 < run["load"] < run["fresh process"]
    pickle.dump(model, open(tmp_path / "whole.pt", "wb"))
    failed = torchkit.fresh_load(tmp_path / "whole.pt", "model = torch.load(path)", data.X_test[:7])
    assert "error" in failed and "outputs" not in failed


def test_library_bytes_counts_each_file_once(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "liba.so").write_bytes(b"x" * 10)
    (tmp_path / "libb.so.1").write_bytes(b"y" * 5)
    assert torchkit.library_bytes(tmp_path, ["*.so", "liba.so", "*.so.*"]) == 15
    assert torchkit.library_bytes(tmp_path / "lib", ["none*"]) == 0


def test_compile_cpp_reports_the_first_error(tmp_path, monkeypatch):
    if not torchkit.shutil.which("g++") and not torchkit.shutil.which("c++"):
        pytest.skip("no C++ compiler")
    with pytest.raises(RuntimeError, match="C\\+\\+ compiler failed: .*error"):
        torchkit.compile_cpp("int main() { return undefined_name; }", tmp_path / "broken")
    monkeypatch.setenv("CXX", "no-such-compiler")
    monkeypatch.setattr(torchkit.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="no C\\+\\+ compiler"):
        torchkit.compile_cpp("int main() {}", tmp_path / "none")
