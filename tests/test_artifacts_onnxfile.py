"""Tests for autograder.artifacts.onnxfile: a protobuf reader checked against the onnx package."""

from __future__ import annotations

import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from autograder.artifacts.onnxfile import external_data_problems, looks_like_onnx, read_summary


def model_with(tmp_path, *, external: dict | None = None, subgraph: bool = False):
    """A small model: one initializer, optionally external, optionally inside an If branch."""
    import numpy as np

    weight = numpy_helper.from_array(np.arange(4, dtype=np.float32), "w")
    if external is not None:
        weight.ClearField("raw_data")
        weight.data_location = TensorProto.EXTERNAL
        for key, value in external.items():
            entry = weight.external_data.add()
            entry.key, entry.value = key, value
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    if subgraph:
        branch = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "b", [], [y],
                                   [weight])
        nodes = [helper.make_node("Constant", [], ["c"], value=helper.make_tensor(
                     "c", TensorProto.BOOL, [], [True])),
                 helper.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=branch)]
        graph = helper.make_graph(nodes, "g", [x], [y])
    else:
        graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y],
                                  [weight])
    model = helper.make_model(graph, producer_name="test", opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    return path, model


def onnx_counts(model):
    from onnx.external_data_helper import _get_all_tensors, uses_external_data

    tensors = list(_get_all_tensors(model))
    return len(tensors), sum(uses_external_data(t) for t in tensors)


@pytest.mark.parametrize("subgraph", [False, True])
def test_agrees_with_onnx(tmp_path, subgraph):
    path, model = model_with(tmp_path, external={"location": "w.bin", "length": "16"},
                             subgraph=subgraph)
    read = read_summary(path)
    n_tensors, n_external = onnx_counts(model)
    assert (read.n_tensors, len(read.external)) == (n_tensors, n_external)
    assert read.external[0].location == "w.bin" and read.external[0].length == 16
    assert read.producer == "test" and read.opsets == {"ai.onnx": 17, "ai.onnx.ml": 3}
    assert read.ir_version == model.ir_version


def test_external_data_inside_the_folder_is_fine(tmp_path):
    path, _ = model_with(tmp_path, external={"location": "w.bin", "length": "16"})
    (tmp_path / "w.bin").write_bytes(bytes(16))
    assert external_data_problems(path, read_summary(path)) == ([], [])
    (tmp_path / "w.bin").write_bytes(bytes(8))
    findings, problems = external_data_problems(path, read_summary(path))
    assert not findings and "only 8 bytes" in problems[0]


@pytest.mark.parametrize("location, words", [
    ("../w.bin", "escapes"), ("/etc/passwd", "absolute path"), ("sub/../../w.bin", "escapes"),
])
def test_escaping_locations(tmp_path, location, words):
    folder = tmp_path / "model"
    folder.mkdir()
    path, _ = model_with(folder, external={"location": location})
    findings, _ = external_data_problems(path, read_summary(path))
    assert findings and words in findings[0]


def test_not_onnx(tmp_path):
    for data in (b"", b"\x08", b"hello world", bytes(range(256)), b"\x08\x07"):
        (tmp_path / "x").write_bytes(data)
        assert not looks_like_onnx(tmp_path / "x")
    path, _ = model_with(tmp_path)
    assert looks_like_onnx(path)
    onnx.checker.check_model(str(path))  # the test model itself is valid ONNX
    (tmp_path / "cut.onnx").write_bytes(path.read_bytes()[:-5])
    assert not looks_like_onnx(tmp_path / "cut.onnx")


def test_a_hard_link_to_outside_data_is_a_finding(tmp_path):
    """A hard link looks like a file in the folder but can be any file on the disk."""
    folder = tmp_path / "model"
    folder.mkdir()
    secret = tmp_path / "secret.bin"
    secret.write_bytes(bytes(16))
    (folder / "w.bin").hardlink_to(secret)
    path, _ = model_with(folder, external={"location": "w.bin", "length": "16"})
    findings, _ = external_data_problems(path, read_summary(path))
    assert findings and "hard links" in findings[0]
