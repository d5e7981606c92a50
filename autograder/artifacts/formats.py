"""Which serialization format a file holds, judged from its bytes, never from its name.

Each format is recognised by what its own loader checks first, so the grader and the loader
agree on what a file is:

- pickle: the PROTO opcode (protocols 2-5), or protocol 0/1 opcodes that are not plain text;
- joblib: the compressor prefixes `joblib.load` tests (zlib, gzip, bz2, lzma, xz, lz4); an
  uncompressed joblib file is a pickle until its NumpyArrayWrapper is seen;
- torch, torchscript, pt2, skops, npz: a zip archive (`PK\\x03\\x04`, what `torch.load` and
  `numpy.load` test), told apart by its members (an npz holds only `.npy` members);
- torch-legacy: the pickled magic number `torch.save(..., _use_new_zipfile_serialization=False)`
  writes first;
- safetensors: an 8-byte header length followed by a JSON object that fits in the file;
- onnx: a protobuf that parses as an ONNX ModelProto with a graph;
- npy: the `\\x93NUMPY` magic.

`detect` never raises for a bad file: it returns `Detected` with `problem` set to one line and
`kind` saying which problem it is.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder.artifacts.onnxfile import looks_like_onnx
from autograder.artifacts.enums import Format, Problem

# joblib.compressor's registry (tests/test_artifacts_formats.py checks it against joblib).
COMPRESSORS = {
    "zlib": b"\x78",
    "gzip": b"\x1f\x8b",
    "bz2": b"BZ",
    "lzma": b"\x5d\x00",
    "xz": b"\xfd7zXZ",
    "lz4": b"\x04\x22\x4d\x18",
}
JOBLIB_COMPAT = b"ZF"  # joblib < 0.10 wrote arrays to side files; not supported
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
# torch.save(..., _use_new_zipfile_serialization=False) starts with this pickled magic number.
TORCH_LEGACY = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."
# Printable files that are protocol-0 pickles open with MARK, GLOBAL, a quoted STRING, an INT...
# "SVC()" or "IsolationForest()" (str of a model) open with the same letters but are text.
PROTOCOL_0_START = re.compile(rb"[(c\]}l]|S['\"]|I-?[0-9]|N\.")
PROTOCOL_1_START = re.compile(rb"[\]})(]|c[A-Za-z_]|[KJM]")


@dataclass(frozen=True)
class Detected:
    """`format`, or Format.NONE when `problem` (one line) says why the file is not usable and
    `kind` which problem that is."""

    format: Format
    detail: str = ""
    problem: str = ""
    kind: Problem = Problem.NONE


def _unusable(kind: Problem, detail: str, problem: str) -> Detected:
    return Detected(Format.NONE, detail, problem, kind)


def looks_like_text(head: bytes) -> bool:
    """Printable ASCII that is not a protocol-0 pickle (those start with an opcode: '(', 'c'...)."""
    printable = all(32 <= b < 127 or b in b"\t\n\r" for b in head)
    return printable and not PROTOCOL_0_START.match(head)


def _zip_format(path: Path) -> Detected:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return _unusable(Problem.CORRUPT, "zip", f"a damaged or truncated zip archive ({exc})")
    if "schema.json" in names:
        return Detected(Format.SKOPS, "zip archive with schema.json")
    roots = {name.split("/", 1)[0] for name in names}
    inside = {name.split("/", 1)[1] for name in names if "/" in name}
    if len(roots) == 1 and "archive_format" in inside:
        return Detected(Format.PT2, "torch.export archive")
    if len(roots) == 1 and "data.pkl" in inside:
        if "constants.pkl" in inside or any(n.startswith("code/") for n in inside):
            return Detected(Format.TORCHSCRIPT, "TorchScript archive")
        return Detected(Format.TORCH, "torch.save archive")
    if names and all(name.endswith(".npy") for name in names):
        return Detected(Format.NPZ, "numpy .npz archive")
    return _unusable(Problem.UNSUPPORTED, "zip",
                     "a zip archive that is not a torch, torch.export, skops or .npz file")


def _safetensors_header(path: Path, head: bytes, size: int) -> bool:
    """An 8-byte little-endian length, then a JSON object of exactly that length.

    The length's low byte can be anything (0x78 looks like zlib), so the JSON's closing brace
    is checked too: a compressed stream almost never has '{' and '}' exactly there.
    """
    if size < 10 or len(head) < 9:
        return False
    (length,) = struct.unpack("<Q", head[:8])
    if not (2 <= length <= size - 8 and head[8:9] == b"{"):
        return False
    with open(path, "rb") as f:
        f.seek(8 + length - min(length, 64))
        tail = f.read(min(length, 64))
    return tail.rstrip(b" ").endswith(b"}")


def detect(path: Path) -> Detected:
    """The format of the file at `path`, from its content."""
    path = Path(path)
    if not path.exists():
        return _unusable(Problem.MISSING, "", f"no file at '{path}'")
    if not path.is_file():
        return _unusable(Problem.FOLDER, "", f"'{path}' is a folder, not a file")
    size = path.stat().st_size
    if size == 0:
        return _unusable(Problem.EMPTY, "", f"'{path.name}' is empty (0 bytes)")
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(ZIP_MAGIC):
        return _zip_format(path)
    if head.startswith(NPY_MAGIC):
        return Detected(Format.NPY, "numpy .npy array")
    if head.startswith(JOBLIB_COMPAT):
        return _unusable(Problem.UNSUPPORTED, "joblib < 0.10",
                         "a file from joblib < 0.10, which the grader does not load: save it "
                         "again with today's joblib")
    if _safetensors_header(path, head, size):  # before the compressors: see its docstring
        return Detected(Format.SAFETENSORS, "safetensors")
    for name, prefix in COMPRESSORS.items():
        if head.startswith(prefix):
            return Detected(Format.JOBLIB, f"{name}-compressed")
    if head.startswith(TORCH_LEGACY):
        return Detected(Format.TORCH_LEGACY, "torch.save, legacy non-zip format")
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return Detected(Format.PICKLE, f"protocol {head[1]}")
    if looks_like_text(head):
        start = head[:30].decode("utf-8", "replace")
        return _unusable(Problem.TEXT, "text", f"'{path.name}' holds text, not a model (it "
                                               f"starts with {start!r})")
    if looks_like_onnx(path):
        return Detected(Format.ONNX, "ONNX model")
    if PROTOCOL_0_START.match(head) or PROTOCOL_1_START.match(head):
        return Detected(Format.PICKLE, "protocol 0 or 1")
    return _unusable(Problem.UNKNOWN, "unknown",
                     f"'{path.name}' is not a format the grader knows (pickle, joblib, torch, "
                     f"ONNX, safetensors, skops, numpy): it starts with {head[:8]!r}")
