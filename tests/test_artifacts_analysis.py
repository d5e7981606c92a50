"""Tests for autograder.artifacts.analysis on the three corpora (tests/corpus.py), plus
targeted attacks.

What `inspect`'s engine must show is asserted here: 0 false positives on the benign corpus,
100 % of the malicious corpus refused with a one-line reason, no canary ever created, and
every corrupted input reported as what it is.
"""

from __future__ import annotations

import io
import json
import pickle
import tracemalloc
import warnings
import zipfile

import corpus as corpora
import numpy as np
import pytest

from autograder.artifacts.analysis import analyze
from autograder.artifacts.enums import Format, Verdict

FORMATS = set(Format) - {Format.NONE}


def one_line(text: str) -> bool:
    return bool(text) and "\n" not in text and "\r" not in text


def test_every_malicious_payload_is_live(corpus):
    """Loaded naturally (pickle, joblib, torch.load, torch.export.load), each payload runs."""
    assert len(corpus.malicious) >= 20
    assert len({case.technique for case in corpus.malicious}) == len(corpus.malicious)
    dead = [name for name, live in corpus.live.items() if not live]
    assert not dead, f"these payloads do not run with their own loader: {dead}"


def test_benign_corpus_has_no_false_positives(corpus):
    assert len(corpus.benign) >= 20
    assert {case.format for case in corpus.benign} == FORMATS
    wrong = {}
    for case in corpus.benign:
        report = analyze(case.path)
        if (report.format, report.verdict) != (case.format, case.verdict) or report.findings:
            wrong[case.name] = (report.format, report.verdict, report.findings, report.problem)
        assert report.exit_code == 0 and report.loadable
    assert not wrong


def test_benign_corpus_covers_every_joblib_compressor(corpus):
    details = {analyze(case.path).detail for case in corpus.benign if case.format == "joblib"}
    assert {"zlib-compressed", "gzip-compressed", "bz2-compressed", "lzma-compressed",
            "xz-compressed", "uncompressed"} <= details


def test_code_formats_are_reported_as_sandbox_only(corpus):
    for name in ("scripted.pt", "exported.pt2"):
        report = analyze(corpus.case(name).path)
        assert report.verdict == Verdict.SANDBOX
        assert any("loaded only in the sandbox" in note for note in report.notes)


def test_malicious_corpus_is_refused_and_nothing_runs(corpus):
    for case in corpus.malicious:
        report = analyze(case.path)
        assert report.verdict == Verdict.UNSAFE, (case.name, report)
        assert report.exit_code == 1 and not report.loadable
        assert one_line(report.reason()), case.name
        assert all(one_line(finding) for finding in report.findings)
    assert list(corpus.canaries.iterdir()) == []


@pytest.mark.parametrize("name, expected", [
    ("dotted_stack_global.pkl", "walks the dotted name 'os.system'"),
    ("dotted_global.pkl", "walks the dotted name 'builtins.exec'"),
    ("memo_stack_global.pkl", "'posix.system'"),
    ("nested_pickle.pkl", "nested pickle"),
    ("getattr_chain.pkl", "getattr"),
    ("pkgutil.pkl", "pkgutil.resolve_name"),
    ("runpy.pkl", "runpy.run_path"),
    ("runstring.pkl", "numpy.testing._private.utils.runstring"),
    ("payload_object_array.joblib", "'posix.system'"),
    ("after_array.joblib", "'posix.system'"),
    ("sample_inputs_payload.pt2", "'posix.system'"),
    ("inst.pkl", "opcode INST"),
])
def test_refusal_reasons_name_the_technique(corpus, name, expected):
    report = analyze(corpus.case(name).path)
    assert any(expected in finding for finding in report.findings), report.findings


def test_corrupted_inputs_are_reported_as_what_they_are(corpus):
    for case in corpus.corrupted:
        report = analyze(case.path, max_bytes=case.max_bytes or corpora.BOMB_BYTES * 2)
        assert (report.format, report.verdict) == (case.format, case.verdict), \
            (case.name, report)
        codes = {Verdict.SAFE: 0, Verdict.SANDBOX: 0, Verdict.UNSAFE: 1, Verdict.UNREADABLE: 2}
        assert report.exit_code == codes[case.verdict]
        if report.verdict == Verdict.UNREADABLE:
            assert one_line(report.problem), case.name
        if report.verdict == Verdict.UNSAFE:
            assert one_line(report.reason()), case.name


@pytest.mark.parametrize("name, words", [
    ("escape.onnx", "escapes the model's folder"),
    ("symlink.onnx", "through a symlink"),
    ("absolute.onnx", "absolute path"),
    ("missing_data.onnx", "is missing"),
    ("truncated.pkl", "truncated"),
    ("truncated_zlib.joblib", "truncated"),
    ("text.pkl", "holds text"),
    ("legacy_torch.pt", "legacy"),
])
def test_corrupted_reasons(corpus, name, words):
    report = analyze(corpus.case(name).path)
    assert words in (report.problem or report.reason())


def test_a_decompression_bomb_is_refused_by_the_budget_not_inflated(corpus):
    case = corpus.case("bomb.joblib")
    assert case.path.stat().st_size < corpora.BOMB_BYTES / 100  # a real bomb: 1 GiB inside
    tracemalloc.start()
    report = analyze(case.path, max_bytes=case.max_bytes)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.verdict == Verdict.UNSAFE and "budget" in report.reason()
    assert peak < 64e6  # the decompressor's buffers, not the 1 GiB inside


def test_a_bomb_that_hides_its_size_is_stopped_at_the_budget(tmp_path):
    """Many small byte strings: nothing announces the total, the budget still stops it."""
    import zlib

    chunk = b"C\xff" + bytes(255) + b"0"  # SHORT_BINBYTES of 255 zeros, then POP
    compressor = zlib.compressobj(1)
    body = [compressor.compress(b"\x80\x04N")]
    body += [compressor.compress(chunk * 4096) for _ in range(32)]  # 34 MB inside
    path = tmp_path / "quiet_bomb.joblib"
    path.write_bytes(b"".join(body + [compressor.compress(b"."), compressor.flush()]))
    assert path.stat().st_size < 1e6
    tracemalloc.start()
    report = analyze(path, max_bytes=10_000_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.verdict == Verdict.UNSAFE and "budget" in report.reason()
    assert peak < 64e6
    assert analyze(path, max_bytes=10**8).verdict == Verdict.SAFE  # a larger budget: honest


def test_a_file_larger_than_the_budget_is_not_read(tmp_path):
    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps(np.zeros(1000)))
    report = analyze(path, max_bytes=100)
    assert report.verdict == Verdict.UNSAFE and "budget" in report.reason()


def test_whole_pickled_torch_module_is_refused_like_weights_only(tmp_path):
    import torch

    from autograder.course.models import CreditMLP

    torch.save(CreditMLP(), tmp_path / "whole.pt")
    report = analyze(tmp_path / "whole.pt")
    assert report.verdict == Verdict.UNSAFE
    assert "weights_only=True" in report.reason() or any(
        "state_dict" in finding for finding in report.findings)
    # The same model's state_dict is fine.
    torch.save(CreditMLP().state_dict(), tmp_path / "weights.pt")
    assert analyze(tmp_path / "weights.pt").verdict == Verdict.SAFE


def test_trusted_pairs_are_exact(tmp_path):
    path = tmp_path / "own.pkl"
    path.write_bytes(b"\x80\x04cmy_course_module\nScaler\n)\x81.")
    assert analyze(path).verdict == Verdict.UNSAFE
    assert analyze(path, trusted=[("my_course_module", "Scaler")]).verdict == Verdict.SAFE
    assert analyze(path, trusted=[("my_course_module", "Other")]).verdict == Verdict.UNSAFE
    dotted = tmp_path / "dotted.pkl"
    dotted.write_bytes(b"\x80\x04\x8c\x10my_course_module\x8c\x09Scaler.os\x93)\x81.")
    assert analyze(dotted, trusted=[("my_course_module", "Scaler")]).verdict == Verdict.UNSAFE


def test_class_from_the_notebook_is_named(tmp_path):
    path = tmp_path / "main.pkl"
    path.write_bytes(b"\x80\x04c__main__\nClipOutliers\n)\x81.")
    report = analyze(path)
    assert report.verdict == Verdict.UNSAFE and report.imports == (("__main__", "ClipOutliers"),)
    assert "'ClipOutliers' defined in the notebook (__main__)" in report.reason()


def _rewrite(source, target, edit):
    """Copy a zip archive, passing each member's bytes through edit(name, data)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, edit(info.filename, old.read(info)))
    return target


@pytest.mark.parametrize("change, expected", [
    (lambda model: model["graph_module"]["graph"]["nodes"][0].update(target="torch.os.system"),
     "calls 'torch.os.system'"),
    (lambda model: model.update(guards_code=["__import__('os').system('true')"]),
     "is not a plain shape check"),
])
def test_pt2_graphs_must_call_operators_and_guards_must_check_shapes(corpus, tmp_path, change,
                                                                     expected):
    def edit(name, data):
        if name.endswith("models/model.json"):
            model = json.loads(data)
            change(model)
            return json.dumps(model).encode()
        return data

    path = _rewrite(corpus.case("exported.pt2").path, tmp_path / "edited.pt2", edit)
    report = analyze(path)
    assert report.verdict == Verdict.UNSAFE and any(expected in f for f in report.findings)


def test_honest_shape_guards_pass(corpus, tmp_path):
    def edit(name, data):
        if name.endswith("models/model.json"):
            model = json.loads(data)
            model["guards_code"] = ["L['x'].size()[0] <= 1024", "L['x'].stride()[1] == 1"]
            return json.dumps(model).encode()
        return data

    path = _rewrite(corpus.case("exported.pt2").path, tmp_path / "guarded.pt2", edit)
    assert analyze(path).verdict == Verdict.SANDBOX


def test_duplicate_zip_members_are_refused(corpus, tmp_path):
    source = corpus.case("state_dict.pt").path
    target = tmp_path / "duplicate.pt"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info))
        data_pkl = next(i for i in old.infolist() if i.filename.endswith("data.pkl"))
        with pytest.warns(UserWarning, match="Duplicate name"):
            new.writestr(data_pkl.filename, pickle.dumps({"weight": 1}))
    report = analyze(target)
    assert report.verdict == Verdict.UNSAFE and "two entries named" in report.reason()


def test_native_code_in_a_pt2_archive_is_refused(corpus, tmp_path):
    target = _rewrite(corpus.case("exported.pt2").path, tmp_path / "aoti.pt2",
                      lambda name, data: data)
    with zipfile.ZipFile(target, "a") as archive:
        root = archive.namelist()[0].split("/", 1)[0]
        archive.writestr(f"{root}/data/aotinductor/model/model.so", b"\x7fELF")
    assert "native code" in analyze(target).reason()


def test_plain_pickles_with_unusual_opcodes_are_refused(tmp_path):
    cases = {
        "persid.pkl": b"\x80\x04\x8c\x03key\x94Q.",  # BINPERSID
        "ext.pkl": b"\x80\x02\x82\x01.",  # EXT1
        "buffer.pkl": b"\x80\x05\x97.",  # NEXT_BUFFER
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        report = analyze(tmp_path / name)
        assert report.verdict == Verdict.UNSAFE and "opcode" in report.reason(), name


def test_skops_types_outside_the_allowlist_are_refused(corpus, tmp_path):
    def swap(node):  # numpy.clip's FunctionNode becomes os.system
        if isinstance(node, dict):
            if node.get("__loader__") == "FunctionNode":
                node.update({"__module__": "os", "__class__": "system"})
            for value in node.values():
                swap(value)
        elif isinstance(node, list):
            for value in node:
                swap(value)

    def edit(name, data):
        if name == "schema.json":
            schema = json.loads(data)
            swap(schema)
            return json.dumps(schema).encode()
        return data

    path = _rewrite(corpus.case("clip.skops").path, tmp_path / "edited.skops", edit)
    report = analyze(path)
    assert report.verdict == Verdict.UNSAFE and "'os.system'" in report.reason()


def test_raw_joblib_array_bytes_are_skipped_not_kept(tmp_path):
    """Analysing a large joblib file skips its raw array bytes (its speed is in make bench)."""
    import joblib

    rng = np.random.default_rng(0)
    big = {"weights": rng.standard_normal((2_500_000 // 8, 8)), "labels": np.arange(1000)}
    path = tmp_path / "big.joblib"
    joblib.dump(big, path)
    tracemalloc.start()
    report = analyze(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.verdict == Verdict.SAFE and report.format == "joblib"
    assert report.notes == ("2 joblib array(s): 20,008,000 raw bytes skipped, 0 nested "
                            "object-array pickle(s) walked",)
    assert peak < 4e6  # not one of the 20 MB was kept


def test_npy_with_objects_is_walked(tmp_path):
    np.save(tmp_path / "objects.npy", np.array(["a", None], dtype=object), allow_pickle=True)
    assert analyze(tmp_path / "objects.npy").verdict == Verdict.SAFE
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "|O", "fortran_order": False,
                                                   "shape": (1,)})
    (tmp_path / "evil.npy").write_bytes(buffer.getvalue()
                                        + b"\x80\x04cos\nsystem\n\x8c\x04true\x85R.")
    assert "'os.system'" in analyze(tmp_path / "evil.npy").reason()


def test_storage_sizes_are_torchs_own():
    import torch

    from autograder.artifacts.analysis import STORAGE_ITEMSIZE

    for name, itemsize in STORAGE_ITEMSIZE.items():
        with warnings.catch_warnings():  # the typed storage classes are deprecated
            warnings.simplefilter("ignore", UserWarning)
            dtype = getattr(torch, name).dtype
        assert torch.empty(0, dtype=dtype).element_size() == itemsize, name


def test_honest_npz_and_legacy_torch_files_are_safe(tmp_path):
    import torch

    arrays = {"w": np.ones((3, 2)), "names": np.array(["a", None], dtype=object)}
    for save, name in ((np.savez, "plain.npz"), (np.savez_compressed, "packed.npz")):
        save(tmp_path / name, **arrays)
        report = analyze(tmp_path / name)
        assert (report.format, report.verdict) == (Format.NPZ, Verdict.SAFE), report
        assert report.notes == ("2 array(s)",)
    state = {"w": torch.ones(2, 3), "b": torch.zeros(3, dtype=torch.float64)}
    torch.save(state, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    report = analyze(tmp_path / "legacy.pt")
    assert (report.format, report.verdict) == (Format.TORCH_LEGACY, Verdict.SAFE), report
    assert report.notes == ("2 storage(s) in torch's legacy (non-zip) format",)


def test_legacy_torch_files_are_read_to_their_last_byte(tmp_path):
    import torch

    torch.save({"w": torch.ones(4)}, tmp_path / "w.pt", _use_new_zipfile_serialization=False)
    data = (tmp_path / "w.pt").read_bytes()
    (tmp_path / "longer.pt").write_bytes(data + b"\x80\x02cos\nsystem\n.")
    assert "bytes follow the last tensor" in analyze(tmp_path / "longer.pt").reason()
    (tmp_path / "short.pt").write_bytes(data[:-1])
    report = analyze(tmp_path / "short.pt")
    assert report.verdict == Verdict.UNREADABLE and "truncated" in report.problem
    with open(tmp_path / "whole.pt", "wb") as f:  # a whole module: weights_only refuses it too
        torch.save(torch.nn.Linear(2, 1), f, _use_new_zipfile_serialization=False)
    assert "nn.Module" in analyze(tmp_path / "whole.pt").reason()


def test_an_npz_object_array_is_walked_like_a_pickle(tmp_path):
    np.savez(tmp_path / "evil.npz", ok=np.ones(2),
             bad=np.array([print], dtype=object))
    report = analyze(tmp_path / "evil.npz")
    assert report.verdict == Verdict.UNSAFE and "builtins.print" in report.reason()
