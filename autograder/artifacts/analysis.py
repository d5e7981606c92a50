"""Static safety analysis: what loading a file would import and run, decided without loading it.

`analyze(path)` detects the format from the content (`autograder.artifacts.formats`) and returns a
`Report` whose `verdict` (`autograder.artifacts.enums.Verdict`) is one of:

- `safe`: nothing in the file can run code when the grader loads it (every global it imports is
  an exact allowlisted pair, or the format carries no code: ONNX, safetensors, plain arrays);
- `sandbox-only`: the file holds code by design (TorchScript, torch.export `.pt2`); it is
  loaded only in the sandboxed child, never in the grader's process;
- `unsafe`: refused, with one line per finding (an import outside the allowlist, a dotted-name
  walk, a nested pickle, an opcode an honest artifact never has, external data escaping the
  model's folder, more bytes than the budget);
- `unreadable`: empty, truncated, corrupt or of an unknown format (`problem` says which in one
  line, `problem_kind` names it).

Per format:
- pickle / joblib: `autograder.artifacts.pickles.walk` over the (decompressed) stream, within the
  byte budget, skipping joblib's raw array bytes and walking its nested object-array pickles;
- torch archives: the same walk over `data.pkl` with torch's weights-only globals; a whole
  pickled `nn.Module` is refused as `torch.load(weights_only=True)` refuses it;
- legacy (non-zip) torch files: the five pickles `torch.load` reads in turn, with the same
  globals, then the raw storages that follow them, sized from the storage references;
- TorchScript and `.pt2`: their pickles are walked too (`.pt2` loading unpickles sample inputs
  and some weights), graph targets must be operators and guards plain shape checks;
- ONNX: every external-data location must stay inside the model's folder;
- safetensors: `safetensors.safe_open` checks that the header's tensors exactly cover the data;
- skops: every type in `schema.json` must be an allowlisted pair;
- npy and npz: each array's header; an object array's pickle is walked like a pickle file.

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
from autograder.artifacts.onnxfile import external_data_problems, read_summary
from autograder.artifacts.pickles import Global, Unanalysable, Walk, walk
from autograder.artifacts.streams import DEFAULT_MAX_BYTES, Budgeted, BudgetExceeded, Truncated
from autograder.artifacts.enums import CODE_FORMATS, Format, Problem, Verdict

EXIT_CODES = {Verdict.SAFE: 0, Verdict.SANDBOX: 0, Verdict.UNSAFE: 1, Verdict.UNREADABLE: 2}
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
# Bytes per element of each storage class torch's weights-only loader accepts.
STORAGE_ITEMSIZE = {f"{kind}Storage": size for kind, size in (
    ("BFloat16", 2), ("Bool", 1), ("Byte", 1), ("Char", 1), ("ComplexDouble", 16),
    ("ComplexFloat", 8), ("Double", 8), ("Float", 4), ("Half", 2), ("Int", 4), ("Long", 8),
    ("Short", 2))}
SKOPS_LOADERS = {"DictNode", "ListNode", "TupleNode", "SetNode", "JsonNode", "NdArrayNode",
                 "ObjectNode", "FunctionNode", "TypeNode", "TreeNode", "ReduceNode", "LossNode",
                 "SparseMatrixNode", "RandomStateNode", "RandomGeneratorNode", "DTypeNode",
                 "SliceNode", "BytesNode", "BytearrayNode", "PartialNode", "DefaultDictNode",
                 "MaskedArrayNode"}


@dataclass(frozen=True, kw_only=True)
class Report:
    """The outcome of `analyze`. `exit_code` is what `autograder inspect` returns."""

    path: str
    format: Format
    detail: str
    verdict: Verdict
    findings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    problem: str = ""
    problem_kind: Problem = Problem.NONE
    imports: tuple[tuple[str, str], ...] = ()
    size_bytes: int = 0
    loader: Format = Format.NONE  # how the sandboxed child must load it

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def loadable(self) -> bool:
        return self.verdict in (Verdict.SAFE, Verdict.SANDBOX)

    def reason(self) -> str:
        """One line: why the file is refused or unreadable ('' when it may be loaded)."""
        if self.verdict == Verdict.UNREADABLE:
            return self.problem
        if self.verdict == Verdict.UNSAFE:
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
    """The file cannot be read: the message is the one-line problem, `kind` which one."""

    def __init__(self, kind: Problem, message: str):
        super().__init__(message)
        self.kind = kind


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


def _judge_imports(walked: Walk, trusted: frozenset, result: _Analysis, *,
                   torch_archive: bool = False, extra_ok=None) -> None:
    """Every global the walk met must be an exact pair of the allowlist (torch's weights-only
    one in torch files), a trusted pair, or accepted by `extra_ok`."""
    allowed = allowlist.TORCH_WEIGHTS if torch_archive else allowlist.PICKLE_GLOBALS
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
        raise _Problem(Problem.TRUNCATED,
                       f"{what} is truncated: it ends before the end of the pickle") from exc
    except (EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        if "ended before" in str(exc) or isinstance(exc, EOFError):
            raise _Problem(Problem.TRUNCATED,
                           f"{what} is truncated: the compressed stream ends early") from exc
        raise _Problem(Problem.CORRUPT,
                       f"{what} is corrupt: {type(exc).__name__}: {exc}") from exc
    except (BudgetExceeded, Unanalysable):
        raise
    except ValueError as exc:
        raise _Problem(Problem.CORRUPT, f"{what} is not a valid pickle: {exc}") from exc


# ---------------------------------------------------------------------- pickle and joblib


def _open_stream(path: Path, detected: Detected, stack: contextlib.ExitStack):
    """The byte stream joblib.load / pickle.load would read, and whether it can seek."""
    raw = stack.enter_context(open(path, "rb"))
    if detected.format != Format.JOBLIB:
        return raw, True
    compressor = detected.detail.split("-")[0]
    from joblib.compressor import _COMPRESSORS  # joblib's own decompressors: the same bytes

    try:
        return stack.enter_context(_COMPRESSORS[compressor].decompressor_file(raw)), False
    except ValueError as exc:  # lz4 without the lz4 package
        raise _Problem(Problem.UNSUPPORTED, f"it is {compressor}-compressed and {exc}") from exc


def _analyze_pickle(path: Path, detected: Detected, budget: int, trusted: frozenset,
                    result: _Analysis) -> tuple[Format, str]:
    """(format, detail): an uncompressed joblib file is told from a pickle by its arrays."""
    with contextlib.ExitStack() as stack:
        stream, seekable = _open_stream(path, detected, stack)
        walked = _walk_or_problem(Budgeted(stream, budget, seekable=seekable),
                                  f"'{path.name}'", joblib_arrays=True)
    _judge_imports(walked, trusted, result)
    joblib_file = detected.format == Format.JOBLIB or walked.arrays > 0
    fmt = Format.JOBLIB if joblib_file else Format.PICKLE
    if detected.format == Format.JOBLIB:
        detail = detected.detail
    else:
        detail = "uncompressed" if joblib_file else f"protocol {walked.protocol}"
    if walked.arrays:
        result.notes.append(f"{walked.arrays} joblib array(s): {walked.array_bytes:,} raw bytes "
                            f"skipped, {walked.nested} nested object-array pickle(s) walked")
    return fmt, detail


# ---------------------------------------------------------------------- torch storages


def _storage_itemsize(storage_type) -> int | None:
    if isinstance(storage_type, Global) and storage_type.module == "torch":
        return STORAGE_ITEMSIZE.get(storage_type.name)
    return None


def _storages(walked: Walk, result: _Analysis, *, legacy: bool) -> dict[str, tuple[int, int]]:
    """{storage key: (bytes per element, elements)} from the persistent ids torch writes:
    ("storage", type, key, location, numel), plus view metadata in the legacy format."""
    found: dict[str, tuple[int, int]] = {}
    for pid in walked.persistent_ids:
        length = 6 if legacy else 5
        itemsize = _storage_itemsize(pid[1]) if isinstance(pid, tuple) and len(pid) > 1 \
            else None
        if not (isinstance(pid, tuple) and len(pid) == length and pid[0] == "storage"
                and itemsize and isinstance(pid[2], str) and type(pid[4]) is int
                and pid[4] >= 0):
            result.find("a persistent id that is not a torch storage reference")
            continue
        if found.setdefault(pid[2], (itemsize, pid[4])) != (itemsize, pid[4]):
            raise _Problem(Problem.CORRUPT, f"storage '{pid[2]}' is described twice, "
                                            f"differently")
    return found


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
        raise _Problem(Problem.CORRUPT,
                       "the archive does not have the single top folder torch writes")
    return roots.pop()


def _walk_member(archive, info, budget, what: str, **options) -> Walk:
    with archive.open(info) as member:
        return _walk_or_problem(Budgeted(member, budget), what, **options)


def _analyze_torch_zip(archive: zipfile.ZipFile, budget: int, trusted: frozenset,
                       result: _Analysis, what: str) -> None:
    infos = _members(archive, result)
    root = _root(infos)
    data = infos.get(f"{root}/data.pkl")
    if data is None:
        raise _Problem(Problem.CORRUPT, f"{what} has no data.pkl")
    walked = _walk_member(archive, data, budget, what, allow_persistent_ids=True)
    _judge_imports(walked, trusted, result, torch_archive=True)
    for key in _storages(walked, result, legacy=False):
        if f"{root}/data/{key}" not in infos:
            raise _Problem(Problem.CORRUPT,
                           f"the archive refers to storage '{key}', which is missing")


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
        _judge_imports(walked, trusted, result, torch_archive=True, extra_ok=torchscript_type)
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
        raise _Problem(Problem.CORRUPT, f"a damaged weights or constants config ({exc})") from exc
    n_targets = 0
    for name, info in infos.items():
        inner = name[len(root) + 1:]
        if inner.endswith(NATIVE_CODE) or inner.startswith("data/aotinductor/"):
            result.find(f"the archive contains native code ('{inner}'), which loading may run")
        elif re.fullmatch(r"models/[^/]+\.json", inner):
            try:
                model = json.loads(_read_member(archive, info, budget))
            except ValueError as exc:
                raise _Problem(Problem.CORRUPT, f"'{inner}' is not valid JSON ({exc})") from exc
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
                _judge_imports(walked, trusted, result, torch_archive=True)
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
        raise _Problem(Problem.CORRUPT, f"schema.json is not valid JSON ({exc})") from exc

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


def _analyze_npz(archive, budget, trusted, result: _Analysis) -> None:
    """numpy.load reads each member as a .npy file: judge each one as `_judge_npy` does."""
    infos = _members(archive, result)
    if sum(info.file_size for info in infos.values()) > budget:
        raise BudgetExceeded("the archive's members")
    for name, info in infos.items():
        with archive.open(info) as member:
            _judge_npy(member, info.file_size, f"'{name}'", budget, trusted, result)
    result.notes.append(f"{len(infos)} array(s)")


def _analyze_zip(path: Path, detected: Detected, budget: int, trusted: frozenset,
                 result: _Analysis) -> None:
    analyzers = {Format.TORCH: lambda *a: _analyze_torch_zip(*a, f"'{path.name}'"),
                 Format.TORCHSCRIPT: _analyze_torchscript, Format.PT2: _analyze_pt2,
                 Format.SKOPS: _analyze_skops, Format.NPZ: _analyze_npz}
    try:
        with zipfile.ZipFile(path) as archive:
            analyzers[detected.format](archive, budget, trusted, result)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise _Problem(Problem.CORRUPT, f"'{path.name}' is a damaged zip archive ({exc})") from exc


# ---------------------------------------------------------------------- legacy torch files


def _analyze_torch_legacy(path: Path, budget: int, trusted: frozenset,
                          result: _Analysis) -> None:
    """What `torch.load` reads from a non-zip file, in order: four pickles (magic number,
    protocol version, system information, the object), the storage keys, then for each key
    an 8-byte element count and the raw elements."""
    import tarfile  # only here: most checks never need it

    what = f"'{path.name}'"
    with open(path, "rb") as f:
        with contextlib.suppress(tarfile.TarError):
            tarfile.open(fileobj=f, mode="r:")  # torch.load tries its older tar format first
            raise _Problem(Problem.UNSUPPORTED, f"{what} is in torch's oldest (tar) format, "
                                                f"which torch.load(weights_only=True) refuses")
        f.seek(0)
        source = Budgeted(f, budget, seekable=True)
        for _header in ("magic number", "protocol version", "system information"):
            _judge_imports(_walk_or_problem(source, what), trusted, result, torch_archive=True)
        walked = _walk_or_problem(source, what, allow_persistent_ids=True)
        _judge_imports(walked, trusted, result, torch_archive=True)
        storages = _storages(walked, result, legacy=True)
        listed = _walk_or_problem(source, what)
        _judge_imports(listed, trusted, result, torch_archive=True)
        keys = listed.value
        if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)
                and sorted(keys) == sorted(storages)):
            raise _Problem(Problem.CORRUPT, f"{what} lists other storages than its tensors use")
        try:
            for key in keys:
                itemsize, numel = storages[key]
                if struct.unpack("<q", source.read(8))[0] != numel:
                    raise _Problem(Problem.CORRUPT, f"{what}: storage '{key}' does not hold "
                                                    f"the {numel:,} elements its tensor says")
                source.skip(numel * itemsize)
        except Truncated as exc:
            raise _Problem(Problem.TRUNCATED, f"{what} is truncated: it ends inside its "
                                              f"tensors' data") from exc
        if not source.at_end():
            result.find("bytes follow the last tensor's data, where torch.save writes none")
    result.notes.append(f"{len(keys)} storage(s) in torch's legacy (non-zip) format")


# ---------------------------------------------------------------------- formats without code


def _analyze_safetensors(path: Path, result: _Analysis) -> None:
    from safetensors import SafetensorError, safe_open

    try:  # checks the header, each tensor's offsets and that they cover the data exactly
        with safe_open(path, framework="numpy") as tensors:
            n_tensors = len(tensors.keys())
    except SafetensorError as exc:
        raise _Problem(Problem.CORRUPT, f"its safetensors header is invalid ({exc})") from exc
    result.notes.append(f"{n_tensors} tensor(s); safetensors holds no code")


def _analyze_onnx(path: Path, result: _Analysis) -> None:
    try:
        model = read_summary(path)
    except ValueError as exc:
        raise _Problem(Problem.CORRUPT, f"'{path.name}' is not a valid ONNX model ({exc})") \
            from exc
    findings, problems = external_data_problems(path, model)
    for finding in findings:
        result.find(finding)
    if problems and not findings:
        raise _Problem(Problem.CORRUPT, problems[0])
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


def _judge_npy(f, size: int, what: str, budget: int, trusted: frozenset,
               result: _Analysis) -> None:
    """One .npy stream of `size` bytes: an object array is a pickle after the header (what
    numpy.load(allow_pickle=True) unpickles); any other array must have all its bytes."""
    import numpy as np

    source = Budgeted(f, budget)
    try:
        shape, dtype = npy_header(source)
    except (ValueError, Truncated) as exc:
        raise _Problem(Problem.CORRUPT, f"{what} has a damaged .npy header ({exc})") from exc
    if dtype.hasobject:
        _judge_imports(_walk_or_problem(source, what), trusted, result)
        return
    needed = source.consumed + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size < needed:
        raise _Problem(Problem.TRUNCATED, f"{what} is truncated: the array needs {needed:,} "
                                          f"bytes")


def _analyze_npy(path: Path, budget: int, trusted: frozenset, result: _Analysis) -> None:
    with open(path, "rb") as f:
        _judge_npy(f, path.stat().st_size, f"'{path.name}'", budget, trusted, result)


# ---------------------------------------------------------------------- the entry point


def analyze(path, *, max_bytes: int = DEFAULT_MAX_BYTES, trusted=()) -> Report:
    """Analyse the file at `path` without executing anything from it. Never raises for a bad
    file; returns a Report (see the module docstring for the verdicts)."""
    path = Path(path)
    trusted = frozenset((str(m), str(n)) for m, n in trusted)
    detected = detect(path)
    size = path.stat().st_size if path.is_file() else 0
    result = _Analysis()
    fmt, detail = detected.format, detected.detail

    def report(verdict: Verdict, *, problem: str = "", kind: Problem = Problem.NONE) -> Report:
        loadable = verdict in (Verdict.SAFE, Verdict.SANDBOX)
        return Report(path=str(path), format=fmt, detail=detail, verdict=verdict,
                      findings=tuple(result.findings), notes=tuple(result.notes),
                      problem=problem, problem_kind=kind, imports=tuple(result.imports),
                      size_bytes=size, loader=fmt if loadable else Format.NONE)

    if detected.problem:
        return report(Verdict.UNREADABLE, problem=detected.problem, kind=detected.kind)
    if size > max_bytes:
        result.find(f"it is {size:,} bytes, more than the {max_bytes:,}-byte analysis budget")
        return report(Verdict.UNSAFE)
    try:
        if fmt in (Format.PICKLE, Format.JOBLIB):
            fmt, detail = _analyze_pickle(path, detected, max_bytes, trusted, result)
        elif fmt in (Format.TORCH, Format.TORCHSCRIPT, Format.PT2, Format.SKOPS, Format.NPZ):
            _analyze_zip(path, detected, max_bytes, trusted, result)
        elif fmt == Format.TORCH_LEGACY:
            _analyze_torch_legacy(path, max_bytes, trusted, result)
        elif fmt == Format.SAFETENSORS:
            _analyze_safetensors(path, result)
        elif fmt == Format.ONNX:
            _analyze_onnx(path, result)
        elif fmt == Format.NPY:
            _analyze_npy(path, max_bytes, trusted, result)
    except BudgetExceeded:
        result.find(f"it expands past the {max_bytes:,}-byte analysis budget (a decompression "
                    f"bomb or an oversized file), so it was not read further")
    except Unanalysable as exc:
        result.find(f"it holds {exc}, so where its next opcode starts cannot be known")
    except _Problem as exc:  # what was found before the damage still refuses the file
        verdict = Verdict.UNSAFE if result.findings else Verdict.UNREADABLE
        return report(verdict, problem=str(exc), kind=exc.kind)
    except OSError as exc:
        return report(Verdict.UNREADABLE, problem=f"'{path.name}' cannot be read: {exc}",
                      kind=Problem.CORRUPT)
    if result.findings:
        return report(Verdict.UNSAFE)
    return report(Verdict.SANDBOX if fmt in CODE_FORMATS else Verdict.SAFE)
