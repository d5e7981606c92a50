"""Lesson 03's PyTorch helpers, so its cells hold only what the student should read.

    from autograder.course import torchkit

    data = torchkit.credit_tensors()              # standardized float32 tensors, train and test
    model, optimizer = torchkit.train_mlp(data.X_train, data.y_train, epochs=8)
    torchkit.train_epochs(model, optimizer, data.X_train, data.y_train, range(8, 10))  # resume
    with torchkit.as_if_on_gpu():
        torch.save(checkpoint, path)              # tagged "cuda:0": loading needs map_location
    row = torchkit.fresh_load(path, "model = torch.jit.load(path)", data.X_test)
    binary = torchkit.compile_cpp(source, ARTIFACTS / "runner")   # against this install's libtorch

- **Training that can stop and resume.** Each epoch draws its batch order from its own seeded
  generator, so training epochs 0-3, saving, and training epochs 4-7 after a reload gives
  bit-for-bit the weights of training 0-7 in one go, provided the optimizer's state was saved
  too (Adam keeps running averages per weight).
- **A checkpoint from a GPU machine**, without a GPU: `as_if_on_gpu()` registers a location tag
  with `torch.serialization.register_package`, torch's own hook for devices, so `torch.save`
  writes `cuda:0` as every tensor's device. Only the tag changes; the bytes are the CPU bytes.
  Loading it on a machine without CUDA raises torch's real error unless `map_location` says
  where the tensors go.
- **A fresh process** (`fresh_load`): `python -I` runs the given load code on the file, times
  `import torch` and the load separately, and hands the outputs back through a `.npy` file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from autograder.common import text
from autograder.course import credit
from autograder.course.models import CreditMLP

__all__ = ["CreditTensors", "as_if_on_gpu", "compile_cpp", "credit_tensors", "fresh_load",
           "library_bytes", "torch_folder", "train_epochs", "train_mlp"]

BATCH = 256


@dataclass(frozen=True)
class CreditTensors:
    """The credit split as float32 tensors, standardized with the training rows' mean and std."""

    X_train: torch.Tensor
    X_test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor
    mean: pd.Series
    std: pd.Series

    def tensor(self, applicants: pd.DataFrame) -> torch.Tensor:
        """Raw applicants (a DataFrame of the numeric features) as the model's input."""
        return _standardized(applicants, self.mean, self.std)


def _standardized(applicants: pd.DataFrame, mean: pd.Series, std: pd.Series) -> torch.Tensor:
    scaled = (applicants[list(mean.index)] - mean) / std
    return torch.tensor(scaled.to_numpy(), dtype=torch.float32)


def credit_tensors() -> CreditTensors:
    X_train, X_test, y_train, y_test = credit.split()
    mean, std = X_train.mean(), X_train.std()
    return CreditTensors(_standardized(X_train, mean, std), _standardized(X_test, mean, std),
                         torch.tensor(y_train.to_numpy()), torch.tensor(y_test.to_numpy()),
                         mean, std)


def train_epochs(model: nn.Module, optimizer: torch.optim.Optimizer, X: torch.Tensor,
                 y: torch.Tensor, epochs: Iterable[int], *, seed: int = 42) -> nn.Module:
    """Train `model` in place for the given epoch numbers; epoch e shuffles with seed (seed, e).
    Gradients are on inside, even where a lesson turned them off for predicting."""
    model.train()
    with torch.enable_grad():
        for epoch in epochs:
            generator = torch.Generator().manual_seed(seed * 10_000 + epoch)
            for batch in torch.randperm(len(X), generator=generator).split(BATCH):
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
                optimizer.step()
    return model.eval()


def train_mlp(X: torch.Tensor, y: torch.Tensor, *, hidden: Sequence[int] = (32, 16),
              epochs: int = 8, seed: int = 42, lr: float = 0.01
              ) -> tuple[CreditMLP, torch.optim.Adam]:
    """A CreditMLP trained with Adam; the seed fixes its initial weights and every batch order."""
    torch.manual_seed(seed)
    model = CreditMLP(n_features=X.shape[1], hidden=hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_epochs(model, optimizer, X, y, range(epochs), seed=seed)
    return model, optimizer


_gpu_tag: list[str] = []  # the device tag torch.save writes while as_if_on_gpu() is active


def _tag(storage) -> str | None:
    return _gpu_tag[-1] if _gpu_tag else None


def _no_restore(storage, location):  # loading is left to torch's own deserializers
    return None


torch.serialization.register_package(0, _tag, _no_restore)  # before torch's own "cpu" (10)


@contextlib.contextmanager
def as_if_on_gpu(device: str = "cuda:0") -> Iterator[None]:
    """Inside the block, torch.save records `device` as every tensor's location."""
    _gpu_tag.append(device)
    try:
        yield
    finally:
        _gpu_tag.pop()


_CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")  # e.g. torch.jit.load's DeprecationWarning: not what we time
import numpy as np
start = time.perf_counter()
import torch
{imports}
imported = time.perf_counter()
torch.set_num_threads(1)
path, hparams = sys.argv[1], json.loads(sys.argv[4])
{load}
loaded = time.perf_counter()
with torch.no_grad():
    out = model(torch.from_numpy(np.load(sys.argv[2])))
np.save(sys.argv[3], out.numpy())
print(json.dumps({{"import": imported - start, "load": loaded - imported,
                  "class imported": "autograder.course.models" in sys.modules}}))
"""


def fresh_load(path: str | Path, load: str, inputs: torch.Tensor, *, imports: str = "",
               hparams: dict | None = None) -> dict:
    """Run `load` (code that sets `model` from `path`; `hparams` is defined) in a new
    `python -I` process, predict `inputs` there, and return what happened:

    {"fresh process": s, "import torch": s, "load": s, "outputs": array,
     "class imported": whether autograder.course.models (CreditMLP's module) was imported},
    or {"fresh process": s, "error": its last line} when the child failed.
    """
    with tempfile.TemporaryDirectory(prefix="fresh-load-") as folder:
        inputs_path, outputs_path = Path(folder) / "inputs.npy", Path(folder) / "outputs.npy"
        np.save(inputs_path, inputs.numpy())
        command = [sys.executable, "-I", "-c", _CHILD.format(imports=imports, load=load),
                   str(path), str(inputs_path), str(outputs_path), json.dumps(hparams or {})]
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
        row: dict = {"fresh process": time.perf_counter() - start}
        if proc.returncode:
            return {**row, "error": text.last_line(proc.stderr) or f"exit code {proc.returncode}"}
        measured = json.loads(proc.stdout.strip().splitlines()[-1])
        return {**row, "import torch": measured["import"], "load": measured["load"],
                "outputs": np.load(outputs_path), "class imported": measured["class imported"]}


def library_bytes(folder: str | Path, patterns: Sequence[str]) -> int:
    """Total size of the shared libraries in `folder` matching `patterns` (0 if none)."""
    found = {path for pattern in patterns for path in Path(folder).rglob(pattern)}
    return sum(path.stat().st_size for path in found if path.is_file())


def torch_folder() -> Path:
    return Path(torch.__file__).parent


def compile_cpp(source: str, output: str | Path, *, timeout: float = 600) -> Path:
    """Compile a C++ program against this install's libtorch (headers and libraries ship in the
    torch wheel); raises RuntimeError with the compiler's last line if it fails, and
    FileNotFoundError when there is no C++ compiler."""
    compiler = shutil.which(os.environ.get("CXX", "g++")) or shutil.which("c++")
    if compiler is None:
        raise FileNotFoundError("no C++ compiler (g++ or c++) on PATH")
    output = Path(output)
    source_path = output.with_suffix(".cpp")
    source_path.write_text(source)
    root = torch_folder()
    abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
    include, lib = root / "include", root / "lib"
    command = [compiler, "-std=c++17", "-O1", f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
               str(source_path), "-o", str(output),
               f"-I{include}", f"-I{include / 'torch' / 'csrc' / 'api' / 'include'}",
               f"-L{lib}", "-ltorch", "-ltorch_cpu", "-lc10", f"-Wl,-rpath,{lib}"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        lines = proc.stderr.splitlines()
        first_error = next((line for line in lines if "error" in line), proc.stderr)
        raise RuntimeError(f"the C++ compiler failed: {text.first_line(first_error)}")
    return output
