"""Tests for autograder.artifacts.pickles: a static walk over pickle opcodes that never loads
anything."""

from __future__ import annotations

import collections
import dataclasses
import io
import pickle
import pickletools
from pathlib import Path

import numpy as np
import pytest
from payload import Payload
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from autograder.artifacts.pickles import PickleSummary, summarize

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)
# Uses ints, floats, strings, bools, None, lists, tuples and dicts: protocol 1 has its own
# binary opcodes for all of them, so even without a PROTO header protocols 0 and 1 differ.
PLAIN = {"a": [1, 2.5, "x", 300], "b": (None, True), "c": {"nested": [-1, 1 << 40]}}



class Plain:
    def __init__(self, value):
        self.value = value


@pytest.fixture(scope="module")
def pipeline():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def opcode_names(data: bytes) -> list[str]:
    return [op.name for op, _arg, _pos in pickletools.genops(data)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_protocol_is_detected_for_the_same_object(protocol):
    data = pickle.dumps(PLAIN, protocol=protocol)
    summary = summarize(data)
    assert isinstance(summary, PickleSummary)
    assert summary.protocol == protocol
    assert summary.imports == ()
    assert summary.opcodes["STOP"] == 1
    assert summary.opcodes["PROTO"] == (1 if protocol >= 2 else 0)
    assert sum(summary.opcodes.values()) == len(opcode_names(data))


def test_opcode_counts_match_pickletools():
    data = pickle.dumps(PLAIN, protocol=4)
    assert summarize(data).opcodes == collections.Counter(opcode_names(data))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_pipeline_imports_for_every_protocol(pipeline, protocol):
    data = pickle.dumps(pipeline, protocol=protocol)
    summary = summarize(data)
    assert summary.protocol == protocol
    imports = set(summary.imports)
    assert ("sklearn.pipeline", "Pipeline") in imports
    assert ("sklearn.preprocessing._data", "StandardScaler") in imports
    assert ("sklearn.linear_model._logistic", "LogisticRegression") in imports
    # Every reported import is a real (module, name) pair, never a placeholder.
    for module, name in summary.imports:
        assert isinstance(module, str) and module and module != "None"
        assert isinstance(name, str) and name and name != "None"
    uses = summary.opcodes
    if protocol >= 4:
        assert uses["STACK_GLOBAL"] > 0 and uses["GLOBAL"] == 0
    else:
        assert uses["GLOBAL"] > 0 and uses["STACK_GLOBAL"] == 0


def test_imports_are_in_loading_order():
    data = pickle.dumps([collections.OrderedDict(), collections.Counter()], protocol=2)
    assert summarize(data).imports == (
        ("collections", "OrderedDict"),
        ("collections", "Counter"),
    )


def stack_global_operands(data: bytes) -> list[tuple[str, str]]:
    """For each STACK_GLOBAL, the opcodes that pushed its two operands (skipping MEMOIZE)."""
    pushed = [op.name for op, _arg, _pos in pickletools.genops(data) if op.name != "MEMOIZE"]
    return [(pushed[i - 2], pushed[i - 1]) for i, n in enumerate(pushed) if n == "STACK_GLOBAL"]


@pytest.mark.parametrize("protocol", [4, 5])
def test_stack_global_names_from_the_memo_are_resolved(protocol):
    # The second class's module string "collections" is already memoized, so the pickler
    # emits BINGET instead of the string: STACK_GLOBAL must take it from the memo.
    data = pickle.dumps([collections.OrderedDict(), collections.Counter()], protocol=protocol)
    assert stack_global_operands(data)[1][0] == "BINGET", "the pickle must exercise the memo"
    assert summarize(data).imports == (
        ("collections", "OrderedDict"),
        ("collections", "Counter"),
    )


MEMO_FORMS = {  # (how a string is memoized, how it is fetched back)
    "MEMOIZE/BINGET": (lambda i: b"\x94", lambda i: b"h" + bytes([i])),
    "BINPUT/LONG_BINGET": (lambda i: b"q" + bytes([i]), lambda i: b"j" + i.to_bytes(4, "little")),
    "PUT/GET": (lambda i: b"p%d\n" % i, lambda i: b"g%d\n" % i),
}


@pytest.mark.parametrize("form", MEMO_FORMS)
def test_both_stack_global_operands_from_the_memo(form):
    put, get = MEMO_FORMS[form]
    data = (b"\x80\x04"
            b"\x8c\x0bcollections" + put(0) + b"0"  # push, memoize, POP
            b"\x8c\x0bOrderedDict" + put(1) + b"0"
            + get(0) + get(1) + b"\x93)R.")  # STACK_GLOBAL, EMPTY_TUPLE, REDUCE, STOP
    assert pickle.loads(data) == collections.OrderedDict()  # a valid pickle
    assert all(op.endswith("GET") for op in stack_global_operands(data)[0])
    assert summarize(data).imports == (("collections", "OrderedDict"),)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_object_pickled_twice_is_imported_once(protocol):
    shared = Plain(1)
    data = pickle.dumps([shared, shared, Plain(2)], protocol=protocol)
    imports = summarize(data).imports
    assert imports.count((__name__, "Plain")) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_optimized_pickles_are_resolved(pipeline, protocol):
    data = pickle.dumps([pipeline, collections.OrderedDict()], protocol=protocol)
    optimized = pickletools.optimize(data)
    assert optimized != data
    assert summarize(optimized).imports == summarize(data).imports
    assert ("sklearn.pipeline", "Pipeline") in summarize(optimized).imports
    assert summarize(optimized).protocol == protocol


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_reduce_payload_is_reported_not_executed(tmp_path, capsys, protocol):
    printed = pickle.dumps(Payload(print, "x"), protocol=protocol)
    canary = tmp_path / "canary.txt"
    creates_file = pickle.dumps(Payload(open, str(canary), "x"), protocol=protocol)

    assert summarize(printed).imports == (("builtins", "print"),)
    assert summarize(creates_file).imports == ((open.__module__, "open"),)
    assert summarize(printed).opcodes["REDUCE"] == 1
    assert capsys.readouterr().out == ""
    assert not canary.exists()

    # The canary is live: really loading the pickle creates the file.
    pickle.loads(creates_file).close()
    assert canary.exists()


def test_inst_opcode_import_is_reported(capsys):
    # Protocol 0's INST imports a global and calls it, like GLOBAL + REDUCE.
    data = b"(S'x'\nibuiltins\nprint\n."
    assert opcode_names(data) == ["MARK", "STRING", "INST", "STOP"]
    assert summarize(data).imports == (("builtins", "print"),)
    assert capsys.readouterr().out == ""


def test_handcrafted_global_and_unknown_module():
    data = b"cnot_installed_mod\nModel\n."
    summary = summarize(data)
    assert summary.imports == (("not_installed_mod", "Model"),)
    assert summary.protocol == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_truncated_pickle_raises_value_error(pipeline, protocol):
    data = pickle.dumps(pipeline, protocol=protocol)
    with pytest.raises(ValueError):
        summarize(data[: len(data) // 2])
    with pytest.raises(ValueError):
        summarize(data[:-1])  # everything except STOP


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_raise_value_error(seed):
    with pytest.raises(ValueError):
        summarize(np.random.default_rng(seed).bytes(256))


@pytest.mark.parametrize("data", [b"", b".", b"\x80\x04.", b"t.", b"\x93."])
def test_malformed_streams_raise_value_error(data):
    with pytest.raises(ValueError):
        summarize(data)


def test_summary_is_frozen_and_reads_a_file(tmp_path, pipeline):
    path = Path(tmp_path / "model.pkl")
    with open(path, "wb") as f:
        pickle.dump(pipeline, f)
    summary = summarize(path.read_bytes())
    assert summary.protocol == pickle.DEFAULT_PROTOCOL
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.protocol = 0  # type: ignore[misc]
    # Only the first of two concatenated pickles is summarized: the stream ends at STOP.
    stream = io.BytesIO()
    pickle.dump({"x": 1}, stream, protocol=2)
    pickle.dump(pipeline, stream, protocol=2)
    assert summarize(stream.getvalue()).imports == ()


# ---------------------------------------------------------------- the streaming walk


import joblib  # noqa: E402 - the walk's tests below need joblib's own files

from autograder.artifacts.pickles import DISPATCH, Unanalysable, walk  # noqa: E402
from autograder.artifacts.streams import Budgeted, BudgetExceeded  # noqa: E402


def walk_file(path, **options):
    with open(path, "rb") as f:
        source = Budgeted(f, 10**9, seekable=True)
        result = walk(source, **options)
        return result, source.at_end()


ARRAYS = {
    "float": np.arange(10.0), "fortran": np.asfortranarray(np.ones((3, 4))),
    "big_endian": np.ones(3, dtype=">f4"), "unicode": np.array(["ab", "c"]),
    "bytes": np.array([b"ab"]), "bool": np.array([True, False]), "empty": np.zeros((0, 3)),
    "scalar": np.array(3.5), "datetime": np.array(["2020-01-01"], dtype="datetime64[ns]"),
    "records": np.zeros(2, dtype=[("a", "<i8"), ("b", "<f4")]),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_joblib_raw_arrays_are_skipped_exactly(tmp_path, protocol):
    path = tmp_path / "arrays.joblib"
    joblib.dump(ARRAYS | {"objects": np.array(["x", None], dtype=object)}, path,
                protocol=protocol)
    result, at_end = walk_file(path, joblib_arrays=True)
    assert at_end  # every byte consumed: the walk ended exactly where joblib.load ends
    assert result.arrays == len(ARRAYS) + 1 and result.nested == 1
    assert not result.findings


def test_joblib_array_bytes_are_not_opcodes(tmp_path):
    """Raw bytes full of STOP and GLOBAL opcodes are skipped, not parsed."""
    path = tmp_path / "tricky.joblib"
    joblib.dump([np.frombuffer(b".cos\nsystem\n" * 10, dtype=np.uint8), {"after": 1}], path)
    result, at_end = walk_file(path, joblib_arrays=True)
    assert at_end and result.imports.count(("os", "system")) == 0
    with pytest.raises(ValueError):  # read as a plain pickle, the same bytes are garbage
        walk_file(path, joblib_arrays=False)


def test_nested_object_array_pickles_are_walked(tmp_path):
    path = tmp_path / "objects.joblib"
    joblib.dump(np.array([collections.OrderedDict(), 1], dtype=object), path)
    result, _ = walk_file(path, joblib_arrays=True)
    assert ("collections", "OrderedDict") in result.imports and result.nested == 1


@pytest.mark.parametrize("data", [
    # the wrapper class handed to another callable: the walk could lose track of it
    b"\x80\x04]cjoblib.numpy_pickle\nNumpyArrayWrapper\n\x85a.",
    b"\x80\x04]cjoblib.numpy_pickle\nNumpyArrayWrapper\na.",
    b"\x80\x04cfunctools\npartial\ncjoblib.numpy_pickle\nNumpyArrayWrapper\n\x85R.",
])
def test_unexpected_uses_of_the_wrapper_are_findings(data):
    result = walk(Budgeted(io.BytesIO(data), 10**6), joblib_arrays=True)
    assert any("NumpyArrayWrapper" in finding for finding in result.findings)


def wrapper_pickle(dtype_args: bytes, state: bytes) -> bytes:
    """A protocol-2 joblib header: NumpyArrayWrapper with the given dtype call and state."""
    return (b"\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(Vshape\nK\x02\x85"
            b"Vorder\nVC\nVdtype\ncnumpy\ndtype\n" + dtype_args + b"R" + state + b"bub")


@pytest.mark.parametrize("dtype_args, state", [
    (b"(Vf8\n\x89\x88tR", b"(K\x03V<\nNNNK\x04J\xff\xff\xff\xffK\x00tb"[2:]),  # size 4 != 8
    (b"(Vf8\n\x89\x88t", b"(K\x03V<\nNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x01t"),  # flags
    (b"(Vnot-a-dtype\n\x89\x88t", b"N"),
])
def test_inconsistent_dtypes_are_not_guessed(dtype_args, state):
    data = wrapper_pickle(dtype_args, b"b" if state == b"N" else state + b"b")
    with pytest.raises((Unanalysable, ValueError)):
        walk(Budgeted(io.BytesIO(data + bytes(64) + b"."), 10**6), joblib_arrays=True)


def test_computed_stack_global_names_are_findings():
    # STACK_GLOBAL whose operands are a call's results, not strings.
    data = b"\x80\x04cbuiltins\nstr\n)R\x94h\x00\x93."
    result = walk(Budgeted(io.BytesIO(data), 10**6))
    assert any("not plain strings" in finding for finding in result.findings)


def test_large_byte_strings_are_skipped_within_the_budget():
    data = pickle.dumps(b"x" * 3_000_000, protocol=5)
    result = walk(Budgeted(io.BytesIO(data), 10**7, seekable=True))
    assert result.opcodes["BINBYTES"] + result.opcodes["BINBYTES8"] == 1
    with pytest.raises(BudgetExceeded):
        walk(Budgeted(io.BytesIO(data), 1_000_000, seekable=True))


@pytest.mark.parametrize("data", [
    b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01\x95\x01\x00\x00\x00\x00\x00\x00\x00.",
    b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00J\x01\x00\x00\x00.",
])
def test_frames_are_read_as_the_unpickler_reads_them(data):
    with pytest.raises(pickle.UnpicklingError):
        pickle._loads(data)  # joblib's pure-Python unpickler refuses these frames...
    with pytest.raises(ValueError, match="frame"):
        walk(Budgeted(io.BytesIO(data), 10**6))  # ...and so does the walk


def test_persistent_ids_are_recorded_only_where_allowed():
    data = b"\x80\x02(X\x07\x00\x00\x00storageq\x00K\x01tQ."
    torch_like = walk(Budgeted(io.BytesIO(data), 10**6), allow_persistent_ids=True)
    assert torch_like.persistent_ids == [("storage", 1)] and not torch_like.findings
    plain = walk(Budgeted(io.BytesIO(data), 10**6))
    assert any("persistent ids" in finding for finding in plain.findings)


def test_joblib_reads_array_bytes_after_the_frame_and_so_does_the_walk(tmp_path):
    """Inside a frame, BUILD on a wrapper makes joblib read the raw bytes that follow the
    frame, while later opcodes still come from the frame: the walk must agree byte for byte."""
    header = (b"]\x94(cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(\x8c\x05shape"
              b"K\x02\x85\x8c\x05order\x8c\x01C\x8c\x05dtypecnumpy\ndtype\n\x8c\x02f8\x89\x88"
              b"\x87R(K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tbub")
    in_frame = header + b"K\x07"  # opcodes after BUILD, still inside the frame
    after = b"e."  # APPENDS, STOP: read from the file once the frame is used up
    raw = np.array([1.5, -2.0]).tobytes()
    data = (b"\x80\x04\x95" + len(in_frame).to_bytes(8, "little") + in_frame + raw + after)
    path = tmp_path / "framed.joblib"
    path.write_bytes(data)
    loaded = joblib.load(path)
    assert loaded[0].tolist() == [1.5, -2.0] and loaded[1] == 7
    result, at_end = walk_file(path, joblib_arrays=True)
    assert at_end and result.arrays == 1 and result.array_bytes == 16


def test_every_opcode_has_its_own_handler_named_as_in_cpython():
    """The walk's dispatch table covers every opcode of protocols 0-5, and each handler has
    the name of the pickle._Unpickler method it predicts (or says which ones it stands for)."""
    cpython = {op: handler.__name__ for op, handler in pickle._Unpickler.dispatch.items()}
    assert set(DISPATCH) == {op.name for op in pickletools.opcodes}
    for op in pickletools.opcodes:
        ours, theirs = DISPATCH[op.name], cpython[op.code.encode("latin-1")[0]]
        assert ours.__name__ == theirs or theirs.upper().endswith(op.name) or \
            op.name in (ours.__doc__ or ""), (op.name, ours.__name__, theirs)
