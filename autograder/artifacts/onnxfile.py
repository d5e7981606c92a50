"""Read the parts of an ONNX file the grader needs, straight from its protobuf bytes.

An ONNX model is a protobuf `ModelProto`. Tensors may keep their bytes in external files named
by a relative `location` (torch.onnx.export writes `model.onnx.data`); ONNX Runtime opens that
path next to the model, so a location like `../../secret` or a symlink reads outside the
model's folder. `read_summary` walks every tensor the runtime may load (initializers, sparse
initializers, node attributes, subgraphs, functions, training graphs) and lists the external
references; `external_data_problems` judges them.

It parses the protobuf wire format itself (about a hundred lines) instead of importing the
`onnx` package: that import alone costs 0.3 s, and `autograder verify` of an ONNX model aims
at 0.5 s (`make bench` measures it). tests/test_artifacts_onnxfile.py checks it against `onnx`'s
own parser.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
MODEL_FIELDS = {1: VARINT, 2: LENGTH, 3: LENGTH, 4: LENGTH, 5: VARINT, 6: LENGTH, 7: LENGTH,
                8: LENGTH, 14: LENGTH, 20: LENGTH, 25: LENGTH, 26: LENGTH}
EXTERNAL = 1  # TensorProto.DataLocation.EXTERNAL
MAX_DEPTH = 64  # subgraphs inside subgraphs


@dataclass(frozen=True)
class ExternalRef:
    tensor: str
    location: str
    offset: int
    length: int | None


@dataclass
class OnnxSummary:
    """What the grader needs to know of an ONNX model, read without the onnx package."""

    ir_version: int = 0
    producer: str = ""
    opsets: dict[str, int] = field(default_factory=dict)
    n_nodes: int = 0
    n_tensors: int = 0
    external: list[ExternalRef] = field(default_factory=list)


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("not a protobuf: bad varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def fields(buf, start: int, end: int):
    """Yield (field number, wire type, value) of one message; value is an int for varints and
    fixed-width numbers, or a (start, end) span for length-delimited fields."""
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("not a protobuf: field number 0")
        if wire == VARINT:
            value, pos = _varint(buf, pos, end)
        elif wire == FIXED64:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == FIXED32:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        elif wire == LENGTH:
            length, pos = _varint(buf, pos, end)
            value, pos = (pos, pos + length), pos + length
        else:
            raise ValueError(f"not a protobuf: wire type {wire}")
        if pos > end:
            raise ValueError("not a protobuf: a field runs past the end")
        yield number, wire, value


def _text(buf, span) -> str:
    return bytes(buf[span[0]:span[1]]).decode("utf-8", "replace")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


class _Reader:
    def __init__(self, buf):
        self.buf = buf
        self.model = OnnxSummary()

    def tensor(self, span) -> None:
        self.model.n_tensors += 1
        name, location, entries = "", EXTERNAL - 1, {}
        for number, wire, value in fields(self.buf, *span):
            if number == 8 and wire == LENGTH:
                name = _text(self.buf, value)
            elif number == 14 and wire == VARINT:
                location = value
            elif number == 13 and wire == LENGTH:
                key = val = ""
                for n, w, v in fields(self.buf, *value):
                    if n == 1 and w == LENGTH:
                        key = _text(self.buf, v)
                    elif n == 2 and w == LENGTH:
                        val = _text(self.buf, v)
                entries[key] = val
        if location == EXTERNAL or entries:
            try:
                offset = int(entries.get("offset", "0") or 0)
                length = int(entries["length"]) if entries.get("length") else None
            except ValueError:
                offset, length = -1, None
            self.model.external.append(ExternalRef(name, entries.get("location", ""), offset,
                                                   length))

    def sparse(self, span) -> None:
        for number, wire, value in fields(self.buf, *span):
            if number in (1, 2) and wire == LENGTH:
                self.tensor(value)

    def graph(self, span, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ValueError("ONNX graphs nested too deeply")
        for number, wire, value in fields(self.buf, *span):
            if wire != LENGTH:
                continue
            if number == 1:
                self.node(value, depth)
            elif number == 5:
                self.tensor(value)
            elif number == 15:
                self.sparse(value)

    def node(self, span, depth: int) -> None:
        self.model.n_nodes += 1
        for number, wire, value in fields(self.buf, *span):
            if number == 5 and wire == LENGTH:
                self.attribute(value, depth)

    def attribute(self, span, depth: int) -> None:
        for number, wire, value in fields(self.buf, *span):
            if wire != LENGTH:
                continue
            if number in (5, 10):
                self.tensor(value)
            elif number in (6, 11):
                self.graph(value, depth + 1)
            elif number in (22, 23):
                self.sparse(value)

    def function(self, span, depth: int) -> None:
        for number, wire, value in fields(self.buf, *span):
            if number == 7 and wire == LENGTH:
                self.node(value, depth)
            elif number == 11 and wire == LENGTH:
                self.attribute(value, depth)

    def training(self, span, depth: int) -> None:
        for number, wire, value in fields(self.buf, *span):
            if number in (1, 2) and wire == LENGTH:
                self.graph(value, depth + 1)

    def model_proto(self) -> OnnxSummary:
        seen = set()
        for number, wire, value in fields(self.buf, 0, len(self.buf)):
            if MODEL_FIELDS.get(number) != wire:
                raise ValueError(f"not an ONNX model: unexpected field {number}")
            seen.add(number)
            if number == 1:
                self.model.ir_version = value
            elif number == 2:
                self.model.producer = _text(self.buf, value)
            elif number == 8:
                domain, version = "", 0
                for n, w, v in fields(self.buf, *value):
                    if n == 1 and w == LENGTH:
                        domain = _text(self.buf, v)
                    elif n == 2 and w == VARINT:
                        version = _signed(v)
                self.model.opsets[domain or "ai.onnx"] = version
            elif number == 7:
                self.graph(value, 0)
            elif number == 20:
                self.training(value, 0)
            elif number == 25:
                self.function(value, 0)
        if not {1, 7} <= seen:
            raise ValueError("not an ONNX model: no ir_version or no graph")
        return self.model


def read_summary(path: Path) -> OnnxSummary:
    """Parse `path` as an ONNX ModelProto. Raises ValueError if it is not one."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise ValueError("empty file")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _Reader(buf).model_proto()


def looks_like_onnx(path: Path) -> bool:
    try:
        read_summary(path)
    except (ValueError, OSError):
        return False
    return True


def external_data_problems(path: Path, model: OnnxSummary) -> tuple[list[str], list[str]]:
    """(findings, problems): a location escaping the model's folder is a finding (unsafe);
    a missing or too short data file is a problem (the model cannot load)."""
    folder = path.resolve().parent
    findings, problems = [], []
    for ref in model.external:
        where = f"tensor '{ref.tensor}'"
        location = ref.location
        if not location:
            problems.append(f"{where} says its data is external but names no file")
            continue
        if "\0" in location or os.path.isabs(location) or location.startswith(("\\", "~")):
            findings.append(f"{where} reads external data from the absolute path {location!r}, "
                            f"outside the model's folder")
            continue
        target = (folder / location).resolve()
        if not target.is_relative_to(folder):
            via = " through a symlink" if ".." not in Path(location).parts else ""
            findings.append(f"{where} reads external data from {location!r}, which escapes "
                            f"the model's folder{via}")
            continue
        if not target.is_file():
            problems.append(f"external data file {location!r} of {where} is missing: keep it "
                            f"next to {path.name}")
            continue
        if target.stat().st_nlink > 1:  # a hard link can point anywhere on the disk
            findings.append(f"{where} reads external data from {location!r}, a file with "
                            f"several hard links that may be data from outside the model's "
                            f"folder (CVE-2026-34446)")
            continue
        size = target.stat().st_size
        end = ref.offset + (ref.length or 0)
        if ref.offset < 0 or end > size:
            problems.append(f"{where} reads bytes {ref.offset:,}-{end:,} of {location!r}, "
                            f"which has only {size:,} bytes")
    return findings, problems
