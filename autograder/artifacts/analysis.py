"""Static safety analysis: what loading a file would import and run, decided without loading it.

`analyze(path)` detects the format from the content (`autograder.artifacts.formats`) and returns a
`Report` whose `verdict` is one of:

- `safe`: nothing in the file can run code when the grader loads it (every global it imports is
  an exact allowlisted pair, or the format carries no code: ONNX, safetensors);
- `sandbox-only`: the file holds code by design (TorchScript, torch.export `.pt2`); it is
  loaded only in the sandboxed child, never in the grader's process;
- `unsafe`: refused, with one line per finding (an import outside the allowlist, a dotted-name
  walk, a nested pickle, an opcode an honest artifact never has, external data escaping the
  model's folder, more bytes than the budget);
- `unreadable`: empty, truncated, corrupt or of an unknown format (`problem` says which).

Per format:
- pickle / joblib: `autograder.artifacts.pickles.walk` over the (decompressed) stream, within the byte
  budget, skipping joblib's raw array bytes and walking its nested object-array pickles;
- torch archives: the same walk over `data.pkl` with torch's weights-only globals; a whole
  pickled `nn.Module` is refused as `torch.load(weights_only=True)` refuses it;
- TorchScript and `.pt2`: their pickles are walked too (`.pt2` loading unpickles sample inputs
  and some weights), graph targets must be operators and guards plain shape checks;
- ONNX: every external-data location must stay inside the model's folder;
- safetensors: the JSON header must describe tensors that fit in the file;
- skops: every type in `schema.json` must be an allowlisted pair.

`trusted` adds exact pairs the caller vouches for (a course's own module, a test's helper).
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import lzma
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.artifacts import allowlist
from autograder.artifacts.formats import Detected, detect
from autograder.artifacts.onnxfile import external_data_problems, read_model
from autograder.artifacts.pickles import Unanalysable, Walk, walk
from autograder.artifacts.streams import DEFAULT_MAX_BYTES, Budgeted, BudgetExceeded, Truncated

SAFE, SANDBOX, UNSAFE, UNREADABLE = "safe", "sandbox-only", "unsafe", "unreadable"
EXIT_CODES = {SAFE: 0, SANDBOX: 0, UNSAFE: 1, UNREADABLE: 2}
TORCHSCRIPT_TYPES = re.compile(r"__torch__(\.[A-Za-z_][\w]*)*\Z")  # types defined by code/
TORCHSCRIPT_HELPERS = frozenset(("torch.jit._pickle", name) for name in (
    "build_boollist build_doublelist build_intlist build_tensorlist build_tensor_from_id "
    "restore_type_tag").split())
PT2_TARGET = re.compile(r"torch\.ops\.[a-z_]\w*\.[A-Za-z_]\w*(\.[A-Za-z_]\w*)?\Z|"
                        r"_operator\.(getitem|add|sub|mul|truediv|floordiv|mod|pow|neg|eq|ne|lt|"
                        r"le|gt|ge|and_|or_|not_)\Z|math\.(ceil|floor|sqrt|trunc)\Z")
GUARD_NAMES = {"L", "math"}
GUARD_ATTRIBUTES = {"size", "stride", "storage_offset", "dim", "shape", "isnan", "inf"}
NATIVE_CODE = (".so", ".dll", ".dylib", ".pyd", ".cubin", ".cpp", ".o")
SAFETENSORS_DTYPES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2,
                      "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8,
                      "U64": 8, "F64": 8, "C64": 8, "C128": 16}
SKOPS_LOADERS = {"DictNode", "ListNode", "TupleNode", "SetNode", "JsonNode", "NdArrayNode",
                 "ObjectNode", "FunctionNode", "TypeNode", "TreeNode", "ReduceNode", "LossNode",
                 "SparseMatrixNode", "RandomStateNode", "RandomGeneratorNode", "DTypeNode",
                 "SliceNode", "BytesNode", "BytearrayNode", "PartialNode", "DefaultDictNode",
                 "MaskedArrayNode"}


@dataclass(frozen=True)
class Report:
    """The outcome of `analyze`. `exit_code` is what `python -m autograder inspect` returns."""

    path: str
    format: str
    detail: str
    verdict: str
    findings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str = ""
    imports: tuple[tuple[str, str], ...] = ()
    size_bytes: int = 0
    loader: str = ""  # how the sandboxed child must load it

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def loadable(self) -> bool:
        return self.verdict in (SAFE, SANDBOX)

    def reason(self) -> str:
        """One line: why the file is refused or unreadable ('' when it may be loaded)."""
        if self.verdict == UNREADABLE:
            return self.problem
        if self.verdict == UNSAFE:
            more = len(self.findings) - 1
            extra = f" (and {more} more finding{'s' * (more > 1)})" if more > 0 else ""
            return f"{self.findings[0]}{extra}"
        return ""


@dataclass
class _Analysis:
    """Findings gathered while analysing one file."""

    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    imports: list[tuple[str, str]] = field(default_factory=list)

    def find(self, message: str) -> None:
        if message not in self.findings:
            self.findings.append(message)


class _Problem(Exception):
    """The file cannot be read: the message is the one-line problem."""


def describe_import(module: str, name: str, *, torch_archive: bool = False) -> str:
    """Why importing module.name is refused, as one short clause."""
    qualified = f"{module}.{name}"
    if module == "__main__":
        return (f"refers to class or function '{name}' defined in the notebook (__main__); a "
                f"fresh Python process cannot find it")
    if "." in name:
        first = name.split(".", 1)[0]
        return (f"walks the dotted name '{name}' from module '{module}' (through its "
                f"attribute '{first}' to another object)")
    reason = allowlist.danger(module, name)
    if reason:
        return f"imports '{qualified}', which {reason}"
    if torch_archive and module.startswith("torch.nn.modules"):
        return (f"imports '{qualified}': a whole pickled nn.Module, which "
                f"torch.load(weights_only=True) refuses too; save model.state_dict() or "
                f"safetensors instead")
    kind = "torch weights-only" if torch_archive else \
        "scikit-learn, numpy, scipy, joblib and Python-container"
    return f"imports '{qualified}', which is not on the grader's allowlist of {kind} globals"


def _judge_imports(walked: Walk, allowed: frozenset, trusted: frozenset, result: _Analysis, *,
                   torch_archive: bool = False, extra_ok=None) -> None:
    for module, name in walked.imports:
        result.imports.append((module, name))
        if "." not in name and ((module, name) in allowed or (module, name) in trusted):
            continue
        if extra_ok is not None and "." not in name and extra_ok(module, name):
            continue
        result.find(describe_import(module, name, torch_archive=torch_archive))
    for finding in walked.findings:
        result.find(finding)


def _walk_or_problem(source: Budgeted, what: str, **options) -> Walk:
    try:
        return walk(source, **options)
    except Truncated as exc:
        raise _Problem(f"{what} is truncated: it ends before the end of the pickle") from exc
    except (EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        if "ended before" in str(exc) or isinstance(exc, EOFError):
            raise _Problem(f"{what} is truncated: the compressed stream ends early") from exc
        raise _Problem(f"{what} is corrupt: {type(exc).__name__}: {exc}") from exc
    except (BudgetExceeded, Unanalysable):
        raise
    except ValueError as exc:
        raise _Problem(f"{what} is not a valid pickle: {exc}") from exc


# ---------------------------------------------------------------------- pickle and joblib


def _open_stream(path: Path, detected: Detected, stack: contextlib.ExitStack):
    """The byte stream joblib.load / pickle.load would read, and whether it can seek."""
    raw = stack.enter_context(open(path, "rb"))
    if detected.format != "joblib":
        return raw, True
    compressor = detected.detail.split("-")[0]
    from joblib.compressor import _COMPRESSORS  # joblib's own decompressors: the same bytes

    try:
        return stack.enter_context(_COMPRESSORS[compressor].decompressor_file(raw)), False
    except ValueError as exc:  # lz4 without the lz4 package
        raise _Problem(f"it is {compressor}-compressed and {exc}") from exc


def _analyze_pickle(path: Path, detected: Detected, budget: int, trusted: frozenset,
                    result: _Analysis) -> tuple[str, str, str]:
    with contextlib.ExitStack() as stack:
        stream, seekable = _open_stream(path, detected, stack)
        walked = _walk_or_problem(Budgeted(stream, budget, seekable=seekable),
                                  f"'{path.name}'", joblib_arrays=True)
    _judge_imports(walked, allowlist.PICKLE_GLOBALS, trusted, result)
    joblib_file = detected.format == "joblib" or walked.arrays > 0
    fmt = "joblib" if joblib_file else "pickle"
    if detected.format == "joblib":
        detail = detected.detail
    else:
        detail = "uncompressed" if joblib_file else f"protocol {walked.protocol}"
    if walked.arrays:
        result.notes.append(f"{walked.arrays} joblib array(s): {walked.array_bytes:,} raw bytes "
                            f"skipped, {walked.nested} nested object-array pickle(s) walked")
    return fmt, detail, fmt


# ---------------------------------------------------------------------- zip archives


def _members(archive: zipfile.ZipFile, result: _Analysis) -> dict[str, zipfile.ZipInfo]:
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.filename in infos:  # zipfile takes the last entry, torch's reader the first
            result.find(f"the archive holds two entries named '{info.filename}', so loaders "
                        f"could disagree about which one is read")
        infos[info.filename] = info
    return infos


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    if info.file_size > budget:
        raise BudgetExceeded(f"member '{info.filename}' is {info.file_size:,} bytes")
    with archive.open(info) as member:
        return Budgeted(member, budget).read_some(info.file_size + 1)


def _root(infos: dict) -> str:
    roots = {name.split("/", 1)[0] for name in infos}
    if len(roots) != 1:
        raise _Problem("the archive does not have the single top folder torch writes")
    return roots.pop()


def _walk_member(archive, info, budget, what: str, **options) -> Walk:
    with archive.open(info) as member:
        return _walk_or_problem(Budgeted(member, budget), what, **options)


def _check_storages(walked: Walk, infos: dict, root: str, result: _Analysis) -> None:
    for pid in walked.persistent_ids:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[2], str)):
            result.find("a persistent id that is not a torch storage reference")
            continue
        if f"{root}/data/{pid[2]}" not in infos:
            raise _Problem(f"the archive refers to storage '{pid[2]}', which is missing")


def _analyze_torch_zip(archive: zipfile.ZipFile, budget: int, trusted: frozenset,
                       result: _Analysis, what: str) -> None:
    infos = _members(archive, result)
    root = _root(infos)
    data = infos.get(f"{root}/data.pkl")
    if data is None:
        raise _Problem(f"{what} has no data.pkl")
    walked = _walk_member(archive, data, budget, what, allow_persistent_ids=True)
    _judge_imports(walked, allowlist.TORCH_WEIGHTS, trusted, result, torch_archive=True)
    _check_storages(walked, infos, root, result)


def _analyze_torchscript(archive, budget, trusted, result: _Analysis) -> None:
    infos = _members(archive, result)
    root = _root(infos)

    def torchscript_type(module: str, name: str) -> bool:
        return bool(TORCHSCRIPT_TYPES.match(module)) or (module, name) in TORCHSCRIPT_HELPERS

    for member in ("data.pkl", "constants.pkl"):
        info = infos.get(f"{root}/{member}")
        if info is None:
            continue
        walked = _walk_member(archive, info, budget, member, allow_persistent_ids=True)
        _judge_imports(walked, allowlist.TORCH_WEIGHTS, trusted, result, torch_archive=True,
                       extra_ok=torchscript_type)
    code = [name for name in infos if name.startswith(f"{root}/code/")
            and name.endswith(".py")]
    result.notes.append(f"contains TorchScript code ({len(code)} source file(s) under code/): "
                        f"loaded only in the sandbox")


def _guard_is_shape_check(source: str) -> bool:
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in GUARD_NAMES:
            return False
        if isinstance(node, ast.Attribute) and node.attr not in GUARD_ATTRIBUTES:
            return False
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Attribute):
            return False
        if isinstance(node, ast.Lambda | ast.NamedExpr | ast.comprehension | ast.Starred
                      | ast.JoinedStr | ast.Dict | ast.Set | ast.List):
            return False
    return True


def _graph_nodes(value):
    """Every exported-graph node (a dict with a string target) anywhere in model.json."""
    if isinstance(value, dict):
        if isinstance(value.get("target"), str) and "inputs" in value:
            yield value
        for item in value.values():
            yield from _graph_nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _graph_nodes(item)


def _raw_payloads(archive, infos: dict, root: str, budget: int) -> set[str]:
    """Members the configs declare as raw tensor bytes (use_pickle false): not pickles."""
    raw = set()
    for name, info in infos.items():
        if re.fullmatch(re.escape(root) + r"/data/(weights|constants)/[^/]+_config\.json", name):
            config = json.loads(_read_member(archive, info, budget))
            folder = name.rsplit("/", 1)[0]
            for entry in (config.get("config") or {}).values():
                if isinstance(entry, dict) and entry.get("use_pickle") is False:
                    raw.add(f"{folder}/{entry.get('path_name')}")
    return raw


def _analyze_pt2(archive, budget, trusted, result: _Analysis) -> None:
    infos = _members(archive, result)
    root = _root(infos)
    try:
        raw = _raw_payloads(archive, infos, root, budget)
    except (ValueError, AttributeError) as exc:
        raise _Problem(f"a damaged weights or constants config ({exc})") from exc
    n_targets = 0
    for name, info in infos.items():
        inner = name[len(root) + 1:]
        if inner.endswith(NATIVE_CODE) or inner.startswith("data/aotinductor/"):
            result.find(f"the archive contains native code ('{inner}'), which loading may run")
        elif re.fullmatch(r"models/[^/]+\.json", inner):
            try:
                model = json.loads(_read_member(archive, info, budget))
            except ValueError as exc:
                raise _Problem(f"'{inner}' is not valid JSON ({exc})") from exc
            for node in _graph_nodes(model):
                n_targets += 1
                if not PT2_TARGET.match(node["target"]):
                    result.find(f"the exported graph calls '{node['target']}', which is not "
                                f"a tensor operator")
            for guard in model.get("guards_code") or []:
                if not (isinstance(guard, str) and _guard_is_shape_check(guard)):
                    result.find(f"guard code {str(guard)[:60]!r} is not a plain shape check")
        elif inner.startswith("data/") and name not in raw and not inner.endswith(".json"):
            leaf = inner.rsplit("/", 1)[-1]
            if leaf.startswith("custom_obj_"):
                result.find(f"'{inner}' is a custom TorchScript object, which loading unpickles")
                continue
            head = _read_member(archive, info, budget) if info.file_size < 1 << 26 else b""
            if head.startswith(b"PK\x03\x04"):  # torch.save bytes: torch.load(weights_only=False)
                with zipfile.ZipFile(io.BytesIO(head)) as nested:
                    _analyze_torch_zip(nested, budget, trusted, result, f"'{inner}'")
            elif head[:1] == b"\x80":  # pickle.loads
                walked = _walk_or_problem(Budgeted(io.BytesIO(head), budget, seekable=True),
                                          f"'{inner}'")
                _judge_imports(walked, allowlist.TORCH_WEIGHTS, trusted, result,
                               torch_archive=True)
            else:
                result.find(f"'{inner}' is neither raw tensor bytes listed in a config nor a "
                            f"pickle the grader can analyse")
    result.notes.append(f"contains a torch.export graph ({n_targets} node(s)), which is code: "
                        f"loaded only in the sandbox")


def _analyze_skops(archive, budget, trusted, result: _Analysis) -> None:
    infos = _members(archive, result)
    try:
        schema = json.loads(_read_member(archive, infos["schema.json"], budget))
    except ValueError as exc:
        raise _Problem(f"schema.json is not valid JSON ({exc})") from exc

    def visit(node) -> None:
        if isinstance(node, dict):
            if "__loader__" in node:
                loader = node["__loader__"]
                pair = (str(node.get("__module__")), str(node.get("__class__")))
                result.imports.append(pair)
                if loader not in SKOPS_LOADERS:
                    result.find(f"skops node {loader} ({pair[0]}.{pair[1]}) calls methods or "
                                f"operators, which the grader does not allow")
                elif "." in pair[1] or (pair not in allowlist.SKOPS_TYPES
                                        and pair not in trusted):
                    result.find(describe_import(*pair))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)


def _analyze_zip(path: Path, detected: Detected, budget: int, trusted: frozenset,
                 result: _Analysis) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            analyzer = {"torch": lambda *a: _analyze_torch_zip(*a, f"'{path.name}'"),
                        "torchscript": _analyze_torchscript, "pt2": _analyze_pt2,
                        "skops": _analyze_skops}[detected.format]
            analyzer(archive, budget, trusted, result)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise _Problem(f"'{path.name}' is a damaged zip archive ({exc})") from exc


# ---------------------------------------------------------------------- formats without code


def _analyze_safetensors(path: Path, result: _Analysis) -> None:
    size = path.stat().st_size
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        if length > 100 * 1024**2:
            raise _Problem("its safetensors header is larger than 100 MB")
        try:
            header = json.loads(f.read(length))
        except ValueError as exc:
            raise _Problem(f"its safetensors header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise _Problem("its safetensors header is not a JSON object")
    data_size, spans = size - 8 - length, []
    for name, entry in header.items():
        if name == "__metadata__":
            if not (isinstance(entry, dict)
                    and all(isinstance(v, str) for v in entry.values())):
                raise _Problem("its __metadata__ is not a map of strings")
            continue
        try:
            itemsize = SAFETENSORS_DTYPES[entry["dtype"]]
            shape, (begin, end) = entry["shape"], entry["data_offsets"]
            count = 1
            for dim in shape:
                count *= int(dim)
        except (KeyError, TypeError, ValueError) as exc:
            raise _Problem(f"tensor '{name}' has a malformed entry ({exc!r})") from exc
        if not (0 <= begin <= end <= data_size and end - begin == count * itemsize):
            raise _Problem(f"tensor '{name}' claims bytes {begin:,}-{end:,}, which do not match "
                           f"its shape or the file")
        spans.append((begin, end))
    result.notes.append(f"{len(spans)} tensor(s); safetensors holds no code")


def _analyze_onnx(path: Path, result: _Analysis) -> None:
    try:
        model = read_model(path)
    except ValueError as exc:
        raise _Problem(f"'{path.name}' is not a valid ONNX model ({exc})") from exc
    findings, problems = external_data_problems(path, model)
    for finding in findings:
        result.find(finding)
    if problems and not findings:
        raise _Problem(problems[0])
    result.notes.append(f"ONNX IR {model.ir_version} from {model.producer or 'an unknown tool'}"
                        f", {model.n_nodes} node(s), {len(model.external)} external tensor(s); "
                        f"ONNX holds no Python code")


def npy_header(f) -> tuple[tuple, object]:
    """(shape, dtype) from a .npy header, with numpy's own parser (no pickle involved)."""
    import numpy as np

    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    version = np.lib.format.read_magic(f)
    if version not in readers:
        raise ValueError(f"unsupported .npy version {version}")
    shape, _fortran, dtype = readers[version](f)
    return shape, dtype


def _analyze_npy(path: Path, budget: int, trusted: frozenset, result: _Analysis) -> None:
    import numpy as np

    with open(path, "rb") as f:
        try:
            shape, dtype = npy_header(f)
        except ValueError as exc:
            raise _Problem(f"'{path.name}' has a damaged .npy header ({exc})") from exc
        if dtype.hasobject:  # the rest is a pickle (np.load needs allow_pickle=True)
            walked = _walk_or_problem(Budgeted(f, budget, seekable=True), f"'{path.name}'")
            _judge_imports(walked, allowlist.PICKLE_GLOBALS, trusted, result)
            return
        expected = f.tell() + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if path.stat().st_size < expected:
        raise _Problem(f"'{path.name}' is truncated: the array needs {expected:,} bytes")


# ---------------------------------------------------------------------- the entry point


def analyze(path, *, max_bytes: int = DEFAULT_MAX_BYTES, trusted=()) -> Report:
    """Analyse the file at `path` without executing anything from it. Never raises for a bad
    file; returns a Report (see the module docstring for the verdicts)."""
    path = Path(path)
    trusted = frozenset((str(m), str(n)) for m, n in trusted)
    detected = detect(path)
    size = path.stat().st_size if path.is_file() else 0

    def report(verdict: str, *, problem: str = "", result: _Analysis | None = None,
               fmt: str = detected.format, detail: str = detected.detail,
               loader: str = "") -> Report:
        result = result or _Analysis()
        return Report(str(path), fmt, detail, verdict, tuple(result.findings),
                      tuple(result.notes), problem, tuple(result.imports), size, loader)

    if detected.problem:
        return report(UNREADABLE, problem=detected.problem)
    if size > max_bytes:
        result = _Analysis([f"it is {size:,} bytes, more than the {max_bytes:,}-byte analysis "
                            f"budget"])
        return report(UNSAFE, result=result)
    result = _Analysis()
    fmt, detail, loader = detected.format, detected.detail, detected.format
    try:
        if fmt in ("pickle", "joblib"):
            fmt, detail, loader = _analyze_pickle(path, detected, max_bytes, trusted, result)
        elif fmt in ("torch", "torchscript", "pt2", "skops"):
            _analyze_zip(path, detected, max_bytes, trusted, result)
        elif fmt == "safetensors":
            _analyze_safetensors(path, result)
        elif fmt == "onnx":
            _analyze_onnx(path, result)
        elif fmt == "npy":
            _analyze_npy(path, max_bytes, trusted, result)
    except BudgetExceeded:
        result.find(f"it expands past the {max_bytes:,}-byte analysis budget (a decompression "
                    f"bomb or an oversized file), so it was not read further")
    except Unanalysable as exc:
        result.find(f"it holds {exc}, so where its next opcode starts cannot be known")
    except _Problem as exc:
        return report(UNREADABLE, problem=str(exc), result=result, fmt=fmt, detail=detail)
    except OSError as exc:
        return report(UNREADABLE, problem=f"'{path.name}' cannot be read: {exc}", result=result)
    if result.findings:
        return report(UNSAFE, result=result, fmt=fmt, detail=detail)
    verdict = SANDBOX if fmt in ("torchscript", "pt2") else SAFE
    return report(verdict, result=result, fmt=fmt, detail=detail, loader=loader)
