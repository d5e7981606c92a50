"""Tests for autograder.artifacts.formats: the format comes from the bytes, never from the name."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import joblib
import numpy as np
import pytest

from autograder.artifacts.enums import Format, Problem
from autograder.artifacts.formats import COMPRESSORS, detect, looks_like_text


def test_prefixes_are_joblibs_own():
    from joblib.compressor import _COMPRESSORS

    assert {name: c.prefix for name, c in _COMPRESSORS.items()} == COMPRESSORS


@pytest.mark.parametrize("compress, detail", [
    (("zlib", 3), "zlib-compressed"), (("gzip", 3), "gzip-compressed"),
    (("bz2", 3), "bz2-compressed"), (("lzma", 3), "lzma-compressed"),
    (("xz", 3), "xz-compressed"),
])
def test_joblib_compressors_whatever_the_name(tmp_path, compress, detail):
    path = tmp_path / "model.pkl"  # the wrong extension on purpose
    joblib.dump({"w": np.arange(3)}, path, compress=compress)
    assert detect(path).format == "joblib" and detect(path).detail == detail


@pytest.mark.parametrize("protocol", range(6))
def test_pickles_of_every_protocol(tmp_path, protocol):
    path = tmp_path / "x.onnx"
    path.write_bytes(pickle.dumps({"a": [1, 2.5, "x"]}, protocol=protocol))
    assert detect(path).format == "pickle"


def test_uncompressed_joblib_is_a_pickle_until_analysed(tmp_path):
    joblib.dump(np.arange(10), tmp_path / "a.joblib")
    assert detect(tmp_path / "a.joblib").format == "pickle"


def test_zip_archives(tmp_path):
    import torch

    torch.save({"w": torch.ones(2)}, tmp_path / "w.bin")
    assert detect(tmp_path / "w.bin").format == "torch"
    np.savez(tmp_path / "arrays.npz", a=np.arange(2))
    assert detect(tmp_path / "arrays.npz").format == Format.NPZ
    with open(tmp_path / "packed.bin", "wb") as f:  # a path would get .npz appended
        np.savez_compressed(f, a=np.arange(2))
    assert detect(tmp_path / "packed.bin").format == Format.NPZ
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    (tmp_path / "other.zip").write_bytes(buffer.getvalue())
    assert "not a torch" in detect(tmp_path / "other.zip").problem
    (tmp_path / "cut.pt").write_bytes((tmp_path / "w.bin").read_bytes()[:100])
    assert "damaged or truncated zip" in detect(tmp_path / "cut.pt").problem
    assert detect(tmp_path / "cut.pt").kind == Problem.CORRUPT


def test_safetensors_and_npy(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (tmp_path / "w.bin").write_bytes(len(header).to_bytes(8, "little") + header + bytes(4))
    assert detect(tmp_path / "w.bin").format == "safetensors"
    np.save(tmp_path / "a.npy", np.arange(3))
    assert detect(tmp_path / "a.npy").format == "npy"


def test_legacy_torch_files(tmp_path):
    import torch

    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt", _use_new_zipfile_serialization=False)
    assert detect(tmp_path / "w.pt").format == Format.TORCH_LEGACY


@pytest.mark.parametrize("data, words, kind", [
    (b"", "empty", Problem.EMPTY),
    (b"LogisticRegression()", "holds text", Problem.TEXT),
    (b"ZF0x00000000", "joblib < 0.10", Problem.UNSUPPORTED),
    (bytes(range(200, 256)) * 4, "not a format the grader knows", Problem.UNKNOWN),
])
def test_unusable_files(tmp_path, data, words, kind):
    path = tmp_path / "f"
    path.write_bytes(data)
    found = detect(path)
    assert found.format == "" and words in found.problem and "\n" not in found.problem
    assert found.kind == kind


def test_missing_and_folder(tmp_path):
    assert "no file" in detect(tmp_path / "nope.pkl").problem
    assert detect(tmp_path / "nope.pkl").kind == Problem.MISSING
    assert "is a folder" in detect(tmp_path).problem
    assert detect(tmp_path).kind == Problem.FOLDER


def test_every_format_is_named():
    assert set(Format) - {Format.NONE} == {
        "pickle", "joblib", "torch", "torch-legacy", "torchscript", "pt2", "onnx",
        "safetensors", "skops", "npy", "npz"}


@pytest.mark.parametrize("head, text", [
    (b"Pipeline(steps=[('standardscaler', StandardScaler()),\n", True),
    (b"LogisticRegression()", True),
    (b"SVC()", True),
    (b"IsolationForest(random_state=0)", True),
    (b"\x80\x05\x95\x00\x01", False),
    (b"ccopy_reg\n_reconstructor\np0\n(csklearn.pipeline\nPipeline\n", False),
    (b"(dp0\nVa\np1\nI1\ns.", False),
    (b"I42\n.", False),
    (b"S'abc'\np0\n.", False),
    (b"N.", False),
])
def test_looks_like_text(head, text):
    assert looks_like_text(head) is text


def test_safetensors_whose_header_length_looks_like_zlib(tmp_path):
    """A header of 376 bytes starts the file with 0x78, zlib's first byte: still safetensors."""
    import json

    from safetensors.torch import save_file

    from autograder.artifacts.formats import detect
    from autograder.course.models import CreditMLP

    model = CreditMLP(hidden=(8,))
    path = tmp_path / "w.safetensors"
    save_file(model.state_dict(), path, metadata={"hparams": json.dumps(model.hparams)})
    assert path.read_bytes()[:1] == b"\x78"
    assert detect(path).format == "safetensors"
