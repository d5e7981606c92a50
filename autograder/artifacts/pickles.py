"""Look inside a pickle without loading it: its protocol, its opcodes, and what it imports.

A pickle is a small program for the pickle virtual machine. Loading it imports every global
the program names (GLOBAL, INST, or STACK_GLOBAL with two strings from the stack) and calls
them. `walk` reads the opcodes one by one from a stream and replays their effect on a
simulated stack and memo, keeping literal values (strings, numbers, tuples, dicts) and
replacing everything a call would compute by an opaque placeholder. Nothing is imported or
executed, and large byte strings are skipped, not kept.

It follows the loader it predicts exactly where that matters for safety:
- STACK_GLOBAL's module and name are recovered even when they come from the memo; a name that
  only a call could compute is reported, never guessed;
- protocols 0-2 names are mapped as `Unpickler(fix_imports=True)` maps them (`copy_reg`,
  `__builtin__`...);
- frames are buffered as the unpickler buffers them;
- with `joblib_arrays=True` it replays `joblib.load`: after BUILD completes a
  `NumpyArrayWrapper`, the raw array bytes that follow in the file (outside the current frame)
  are skipped using the wrapper's shape and dtype, and an object array's nested pickle is
  walked as joblib reads it. Any other use of the wrapper class is reported, because the walk
  and the loader could then disagree about where the next opcode starts.

`summarize(bytes)` is the small view lesson 01 uses.
"""

from __future__ import annotations

import io
import math
import pickletools
import struct
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import Counter
from dataclasses import dataclass, field

from autograder.artifacts.streams import DEFAULT_MAX_BYTES, Budgeted, Truncated

WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
RECONSTRUCTOR = ("copyreg", "_reconstructor")
BIG = 1 << 20  # byte strings longer than this are skipped, not kept
MAX_ITEMS = 4096  # containers keep at most this many simulated items
MAX_NESTING = 32  # object arrays inside object arrays...
# Opcodes an honest saved artifact never contains: INST/OBJ (old-style classes), EXT* (the
# copyreg extension registry), out-of-band buffers, and persistent ids (outside torch archives).
UNUSUAL_OPCODES = {
    "INST": "calls a class with INST (old-style pickles only)",
    "OBJ": "calls a class with OBJ (old-style pickles only)",
    "EXT1": "uses the copyreg extension registry",
    "EXT2": "uses the copyreg extension registry",
    "EXT4": "uses the copyreg extension registry",
    "NEXT_BUFFER": "expects out-of-band buffers, which a saved file never has",
    "READONLY_BUFFER": "expects out-of-band buffers, which a saved file never has",
    "PERSID": "uses persistent ids (only torch archives do)",
    "BINPERSID": "uses persistent ids (only torch archives do)",
}
CODE2OP = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
PREFIX = {  # argument length prefixes: size in bytes, signed
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}


class _Mark:
    def __repr__(self) -> str:
        return "MARK"


MARK = _Mark()


@dataclass(frozen=True)
class Global:
    """A global the pickle imports: the value find_class would return."""

    module: str
    name: str


@dataclass(frozen=True)
class Blob:
    """A byte or text string too long to keep."""

    length: int


class Opaque:
    """A value only running the pickle would produce (a call's result, a huge container)."""

    def __init__(self, kind: str = "object"):
        self.kind = kind
        self.state: dict = {}


class Wrapper(Opaque):
    """An instance of joblib's NumpyArrayWrapper; BUILD fills its attributes."""

    def __init__(self):
        super().__init__("NumpyArrayWrapper")


class WrapperArgs(tuple):
    """(NumpyArrayWrapper, object, None): protocol 0-1 joblib files pass it to _reconstructor."""


@dataclass
class Walk:
    """What walking one stream found. `imports` are (module, name) as loading maps them."""

    protocol: int = 0
    opcodes: Counter = field(default_factory=Counter)
    imports: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    persistent_ids: list = field(default_factory=list)
    arrays: int = 0  # joblib raw arrays skipped
    nested: int = 0  # nested object-array pickles walked
    array_bytes: int = 0
    value: object = None  # what loading returns, as far as literals show it (else Opaque)

    def find(self, message: str) -> None:
        if message not in self.findings:
            self.findings.append(message)


@dataclass(frozen=True)
class PickleSummary:
    protocol: int
    opcodes: Counter
    imports: tuple[tuple[str, str], ...]  # (module, name) in the order loading imports them


def as_loaded(module: str, name: str, proto: int) -> tuple[str, str]:
    """The global pickle.load really imports: below protocol 3 it maps Python 2 names
    (`__builtin__`, `copy_reg`...) to Python 3 ones, as `Unpickler(fix_imports=True)` does."""
    if proto < 3:
        if (module, name) in NAME_MAPPING:
            return NAME_MAPPING[(module, name)]
        return IMPORT_MAPPING.get(module, module), name
    return module, name


class _Frames:
    """The unpickler's view of the stream: inside a FRAME it reads from the frame's buffer,
    outside it from the file. joblib reads raw array bytes from the file itself."""

    def __init__(self, source: Budgeted):
        self.source = source
        self.frame: bytes = b""
        self.pos = 0

    def load_frame(self, size: int) -> None:
        if self.pos < len(self.frame):
            raise ValueError("malformed pickle: a new frame starts before the current one ends")
        self.frame, self.pos = self.source.read(size), 0

    def read(self, n: int) -> bytes:
        if self.pos < len(self.frame):
            data = self.frame[self.pos:self.pos + n]
            if len(data) < n:
                raise ValueError("malformed pickle: an opcode crosses the end of a frame")
            self.pos += n
            return data
        return self.source.read(n)

    def readline(self) -> tuple[bytes | None, int]:
        """(line, length) as Budgeted.readline: None for a line too long to keep."""
        if self.pos < len(self.frame):
            end = self.frame.find(b"\n", self.pos)
            if end < 0:
                raise ValueError("malformed pickle: a line crosses the end of a frame")
            line, self.pos = self.frame[self.pos:end + 1], end + 1
            return (line if len(line) <= BIG else None), len(line)
        return self.source.readline(BIG)

    def skip(self, n: int) -> None:
        if self.pos < len(self.frame):
            self.read(n)
        else:
            self.source.skip(n)


def _int(data: bytes, signed: bool) -> int:
    return int.from_bytes(data, "little", signed=signed)


class _Walker:
    def __init__(self, source: Budgeted, result: Walk, *, joblib_arrays: bool,
                 allow_persistent_ids: bool, depth: int = 0):
        self.frames = _Frames(source)
        self.source = source
        self.result = result
        self.joblib_arrays = joblib_arrays
        self.allow_persistent_ids = allow_persistent_ids
        self.depth = depth
        self.stack: list = []
        self.metastack: list[list] = []
        self.memo: dict = {}
        self.proto = 0
        self.declared: int | None = None  # PROTO's argument
        self.highest = 0

    # ------------------------------------------------------------------ reading

    def read_arg(self, op):
        desc = op.arg
        if desc is None:
            return None
        if desc.n >= 0:
            return desc.reader(io.BytesIO(self.frames.read(desc.n)))
        if desc.n == pickletools.UP_TO_NEWLINE:
            lines = [self.frames.readline()
                     for _ in range(2 if desc is pickletools.stringnl_noescape_pair else 1)]
            if any(line is None for line, _length in lines):
                if op.name in ("STRING", "UNICODE"):  # protocol 0's text form of array data
                    return Blob(lines[0][1])
                raise ValueError(f"malformed pickle: a {op.name} line of {lines[0][1]:,} bytes")
            if desc is pickletools.stringnl_noescape_pair:  # GLOBAL, INST: module, name
                return tuple(line[:-1].decode("utf-8") for line, _length in lines)
            if desc is pickletools.stringnl_noescape:  # PERSID
                return lines[0][0][:-1].decode("ascii")
            return desc.reader(io.BytesIO(lines[0][0]))
        size, signed = PREFIX[desc.n]
        prefix = self.frames.read(size)
        length = _int(prefix, signed)
        if length < 0:
            raise ValueError(f"malformed pickle: {op.name} with negative length")
        if length > BIG:
            self.frames.skip(length)
            return Blob(length)
        return desc.reader(io.BytesIO(prefix + self.frames.read(length)))

    # ------------------------------------------------------------------ the stack

    def pop(self, n: int = 1) -> list:
        if n > len(self.stack):
            raise ValueError("malformed pickle: stack underflow")
        popped = self.stack[len(self.stack) - n:]
        del self.stack[len(self.stack) - n:]
        return popped

    def pop_mark(self) -> list:
        if not self.metastack:
            raise ValueError("malformed pickle: no MARK on the stack")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def top(self):
        if not self.stack:
            raise ValueError("malformed pickle: stack underflow")
        return self.stack[-1]

    def check_wrapper_use(self, values, how: str) -> None:
        """The wrapper class may only be called the way joblib writes it (see module doc)."""
        for value in values:
            if (isinstance(value, Global) and (value.module, value.name) == WRAPPER) or \
                    isinstance(value, WrapperArgs):
                self.result.find(f"uses joblib's NumpyArrayWrapper in an unexpected way ({how}), "
                                 f"which could hide opcodes from analysis")

    def container(self, items: list, kind: str):
        self.check_wrapper_use(items, f"inside a {kind}")
        return items if len(items) <= MAX_ITEMS else Opaque(kind)

    def add_global(self, module: str, name: str) -> Global:
        module, name = as_loaded(module, name, self.proto)
        self.result.imports.append((module, name))
        return Global(module, name)

    def call(self, func, args):
        """REDUCE / NEWOBJ: the result's value is unknown, except joblib's wrapper."""
        if isinstance(func, Global) and (func.module, func.name) == WRAPPER:
            self.check_wrapper_use(args if isinstance(args, tuple) else [], "as an argument")
            return Wrapper()
        if isinstance(func, Global) and (func.module, func.name) == RECONSTRUCTOR \
                and isinstance(args, WrapperArgs):
            return Wrapper()
        if isinstance(func, Global) and (func.module, func.name) == ("numpy", "dtype"):
            dtype = Opaque("dtype")  # keep what joblib needs to know an array's size
            dtype.state["__args__"] = args
            return dtype
        self.check_wrapper_use([func], "called indirectly")
        if isinstance(args, tuple | list):
            self.check_wrapper_use(args, "as an argument")
        return Opaque("call result")

    # ------------------------------------------------------------------ joblib arrays

    def read_joblib_array(self, wrapper: Wrapper) -> None:
        """Skip the bytes joblib's NumpyArrayWrapper.read_array consumes after BUILD."""
        state = wrapper.state
        shape, dtype = state.get("shape"), state.get("dtype")
        if not (isinstance(shape, tuple) and all(type(d) is int and d >= 0 for d in shape)):
            raise Unanalysable("a joblib array whose shape is not a tuple of sizes")
        itemsize, has_object = _dtype_size(dtype)
        self.result.arrays += 1
        if has_object:  # joblib unpickles an object array from the same file handle
            if self.depth >= MAX_NESTING:
                raise Unanalysable("object arrays nested too deeply")
            self.result.nested += 1
            _Walker(self.source, self.result, joblib_arrays=False, allow_persistent_ids=False,
                    depth=self.depth + 1).run()
            return
        alignment = state.get("numpy_array_alignment_bytes")
        if alignment is not None:
            padding = self.source.read(1)[0]
            self.source.skip(padding)
        count = math.prod(shape)
        self.result.array_bytes += count * itemsize
        self.source.skip(count * itemsize)

    def run(self) -> None:
        """Replay opcodes up to STOP, each with the handler `DISPATCH` names for it."""
        while True:
            code = self.frames.read(1)
            op = CODE2OP.get(code)
            if op is None:
                raise ValueError(f"malformed pickle: unknown opcode {code!r}")
            arg = self.read_arg(op)
            self.result.opcodes[op.name] += 1
            self.highest = max(self.highest, op.proto)
            if op.name in UNUSUAL_OPCODES and not (
                    self.allow_persistent_ids and op.name in {"PERSID", "BINPERSID"}):
                self.result.find(f"opcode {op.name}: {UNUSUAL_OPCODES[op.name]}")
            try:
                DISPATCH[op.name](self, arg)
            except _Stop:
                return

    # ------------------------------------------------------------------ the opcodes
    # One handler per opcode, in the order and under the names of CPython's pickle._Unpickler
    # (its `dispatch` table), so each can be read next to the loader it predicts. `arg` is the
    # opcode's argument, already decoded by pickletools.

    def load_proto(self, arg) -> None:
        if not 0 <= arg <= 5:
            raise ValueError(f"malformed pickle: unsupported protocol {arg}")
        self.proto = self.declared = arg

    def load_frame(self, arg) -> None:
        self.frames.load_frame(arg)

    def load_persid(self, arg) -> None:
        self.persistent_load(arg)

    def load_binpersid(self, arg) -> None:
        self.persistent_load(self.pop(1)[0])

    def load_none(self, arg) -> None:
        self.stack.append(None)

    def load_false(self, arg) -> None:
        self.stack.append(False)

    def load_true(self, arg) -> None:
        self.stack.append(True)

    def load_value(self, arg) -> None:
        """INT, BININT*, LONG*, FLOAT, BINFLOAT, the strings, bytes and BYTEARRAY8: CPython has
        one handler each, all pushing the decoded argument (a Blob when it is too long)."""
        self.stack.append(arg)

    def load_next_buffer(self, arg) -> None:
        self.stack.append(Opaque("NEXT_BUFFER"))

    def load_readonly_buffer(self, arg) -> None:
        self.top()

    def load_tuple(self, arg) -> None:
        items = self.pop_mark()  # before self.stack is read: popping the mark replaces it
        self.stack.append(self.tuple(items))

    def load_empty_tuple(self, arg) -> None:
        self.stack.append(())

    def load_tuple1(self, arg) -> None:
        self.stack.append(self.tuple(self.pop(1)))

    def load_tuple2(self, arg) -> None:
        self.stack.append(self.tuple(self.pop(2)))

    def load_tuple3(self, arg) -> None:
        self.stack.append(self.tuple(self.pop(3)))

    def load_empty_list(self, arg) -> None:
        self.stack.append([])

    def load_empty_dictionary(self, arg) -> None:
        self.stack.append({})

    def load_empty_set(self, arg) -> None:
        self.stack.append([])  # kept as a list: only its size matters here

    def load_frozenset(self, arg) -> None:
        items = self.pop_mark()
        self.stack.append(self.container(items, "frozenset"))

    def load_list(self, arg) -> None:
        items = self.pop_mark()
        self.stack.append(self.container(items, "list"))

    def load_dict(self, arg) -> None:
        items = self.pop_mark()
        self.stack.append(self.setitems({}, items))

    def load_inst(self, arg) -> None:
        module, qualname = arg
        cls = self.add_global(module, qualname)
        args = self.pop_mark()
        self.stack.append(self.call(cls, tuple(args)))

    def load_obj(self, arg) -> None:
        items = self.pop_mark()
        if not items:
            raise ValueError("malformed pickle: OBJ without a class")
        self.stack.append(self.call(items[0], tuple(items[1:])))

    def load_newobj(self, arg) -> None:
        cls, args = self.pop(2)
        self.stack.append(self.call(cls, args))

    def load_newobj_ex(self, arg) -> None:
        cls, args, kwargs = self.pop(3)
        self.check_wrapper_use([kwargs], "as keyword arguments")
        self.stack.append(self.call(cls, args))

    def load_global(self, arg) -> None:
        module, qualname = arg
        self.stack.append(self.add_global(module, qualname))

    def load_stack_global(self, arg) -> None:
        module, qualname = self.pop(2)
        if type(module) is str and type(qualname) is str:
            self.stack.append(self.add_global(module, qualname))
        else:  # the unpickler accepts only exact str operands
            self.result.find("STACK_GLOBAL names a global with values that are not plain "
                             "strings (computed or obfuscated)")
            self.stack.append(Opaque("global"))

    def load_ext(self, arg) -> None:
        """EXT1, EXT2, EXT4 (CPython's load_ext1/2/4): a global from the copyreg registry."""
        self.stack.append(Opaque("extension"))

    def load_reduce(self, arg) -> None:
        func, args = self.pop(2)
        self.stack.append(self.call(func, args))

    def load_pop(self, arg) -> None:
        if self.stack:
            self.pop(1)
        else:
            self.pop_mark()

    def load_pop_mark(self, arg) -> None:
        self.pop_mark()

    def load_dup(self, arg) -> None:
        self.stack.append(self.top())

    def load_get(self, arg) -> None:
        """GET, BINGET, LONG_BINGET."""
        if arg not in self.memo:
            raise ValueError(f"malformed pickle: memo key {arg} was never stored")
        self.stack.append(self.memo[arg])

    def load_put(self, arg) -> None:
        """PUT, BINPUT, LONG_BINPUT."""
        if arg < 0:
            raise ValueError("malformed pickle: negative memo key")
        self.memo[arg] = self.top()

    def load_memoize(self, arg) -> None:
        self.memo[len(self.memo)] = self.top()

    def load_append(self, arg) -> None:
        (item,) = self.pop(1)
        self.extend(self.top(), [item])

    def load_appends(self, arg) -> None:
        items = self.pop_mark()
        self.extend(self.top(), items)

    def load_setitem(self, arg) -> None:
        items = self.pop(2)
        self.setitems(self.top(), items)

    def load_setitems(self, arg) -> None:
        items = self.pop_mark()
        self.setitems(self.top(), items)

    def load_additems(self, arg) -> None:
        items = self.pop_mark()
        self.extend(self.top(), items)

    def load_build(self, arg) -> None:
        (state,) = self.pop(1)
        self.build(self.top(), state)

    def load_mark(self, arg) -> None:
        self.metastack.append(self.stack)
        self.stack = []

    def load_stop(self, arg) -> None:
        (value,) = self.pop(1)
        if self.depth == 0:  # protocols 2+ declare themselves; 0 and 1 only by their opcodes
            self.result.protocol = self.highest if self.declared is None else self.declared
            self.result.value = value
        raise _Stop

    # ------------------------------------------------------------------ what handlers share

    def persistent_load(self, pid) -> None:
        self.check_wrapper_use([pid], "as a persistent id")
        self.result.persistent_ids.append(pid)
        self.stack.append(Opaque("persistent object"))

    def tuple(self, items: list):
        if items and isinstance(items[0], Global) and (items[0].module, items[0].name) == WRAPPER:
            self.check_wrapper_use(items[1:], "inside a tuple")
            return WrapperArgs(items)
        self.check_wrapper_use(items, "inside a tuple")
        return tuple(items) if len(items) <= MAX_ITEMS else Opaque("tuple")

    def extend(self, target, items: list) -> None:
        self.check_wrapper_use(items, "appended to a container")
        if isinstance(target, list) and len(target) + len(items) <= MAX_ITEMS:
            target.extend(items)

    def setitems(self, target, items: list):
        if len(items) % 2:
            raise ValueError("malformed pickle: odd number of items for a dict")
        self.check_wrapper_use(items, "stored in a dict")
        if isinstance(target, dict):
            for key, value in zip(items[::2], items[1::2], strict=True):
                if isinstance(key, str | int | float | bool | bytes | type(None)):
                    if len(target) < MAX_ITEMS:
                        target[key] = value
        return target

    def build(self, obj, state) -> None:
        self.check_wrapper_use([state] if not isinstance(state, dict) else state.values(),
                               "in an object's state")
        if isinstance(obj, Opaque) and obj.kind == "dtype" and "__state__" not in obj.state:
            obj.state["__state__"] = state
            return
        if isinstance(obj, Opaque):
            if isinstance(state, tuple) and len(state) == 2:  # (dict, slot state)
                state = {**(state[0] if isinstance(state[0], dict) else {}),
                         **(state[1] if isinstance(state[1], dict) else {})}
            if isinstance(state, dict):
                obj.state.update(state)
        if isinstance(obj, Wrapper) and self.joblib_arrays:
            self.stack[-1] = Opaque("array")
            self.read_joblib_array(obj)



class _Stop(Exception):
    """STOP: the pickle's value is complete (CPython's unpickler raises its own _Stop)."""


_VALUES = ("INT BININT BININT1 BININT2 LONG LONG1 LONG4 FLOAT BINFLOAT STRING BINSTRING "
           "SHORT_BINSTRING UNICODE SHORT_BINUNICODE BINUNICODE BINUNICODE8 BINBYTES "
           "SHORT_BINBYTES BINBYTES8 BYTEARRAY8").split()
DISPATCH = {
    "PROTO": _Walker.load_proto, "FRAME": _Walker.load_frame,
    "PERSID": _Walker.load_persid, "BINPERSID": _Walker.load_binpersid,
    "NONE": _Walker.load_none, "NEWFALSE": _Walker.load_false, "NEWTRUE": _Walker.load_true,
    **dict.fromkeys(_VALUES, _Walker.load_value),
    "NEXT_BUFFER": _Walker.load_next_buffer, "READONLY_BUFFER": _Walker.load_readonly_buffer,
    "TUPLE": _Walker.load_tuple, "EMPTY_TUPLE": _Walker.load_empty_tuple,
    "TUPLE1": _Walker.load_tuple1, "TUPLE2": _Walker.load_tuple2,
    "TUPLE3": _Walker.load_tuple3, "EMPTY_LIST": _Walker.load_empty_list,
    "EMPTY_DICT": _Walker.load_empty_dictionary, "EMPTY_SET": _Walker.load_empty_set,
    "FROZENSET": _Walker.load_frozenset, "LIST": _Walker.load_list, "DICT": _Walker.load_dict,
    "INST": _Walker.load_inst, "OBJ": _Walker.load_obj, "NEWOBJ": _Walker.load_newobj,
    "NEWOBJ_EX": _Walker.load_newobj_ex, "GLOBAL": _Walker.load_global,
    "STACK_GLOBAL": _Walker.load_stack_global,
    **dict.fromkeys(("EXT1", "EXT2", "EXT4"), _Walker.load_ext),
    "REDUCE": _Walker.load_reduce, "POP": _Walker.load_pop, "POP_MARK": _Walker.load_pop_mark,
    "DUP": _Walker.load_dup, **dict.fromkeys(("GET", "BINGET", "LONG_BINGET"), _Walker.load_get),
    **dict.fromkeys(("PUT", "BINPUT", "LONG_BINPUT"), _Walker.load_put),
    "MEMOIZE": _Walker.load_memoize, "APPEND": _Walker.load_append,
    "APPENDS": _Walker.load_appends, "SETITEM": _Walker.load_setitem,
    "SETITEMS": _Walker.load_setitems, "ADDITEMS": _Walker.load_additems,
    "BUILD": _Walker.load_build, "MARK": _Walker.load_mark, "STOP": _Walker.load_stop,
}


class Unanalysable(ValueError):
    """A joblib array whose layout the walk cannot determine: refused, not guessed."""


def _dtype_size(dtype) -> tuple[int, bool]:
    """(itemsize, has objects) of the dtype joblib will read, from numpy.dtype(...)'s pickle.

    Only the plain dtypes numpy writes for arrays are accepted (no structured fields): an
    unusual or inconsistent state is refused rather than sized by guesswork.
    """
    if not (isinstance(dtype, Opaque) and dtype.kind == "dtype"):
        raise Unanalysable("a joblib array whose dtype is not a numpy dtype")
    import numpy as np  # only here: parsing a dtype string runs no code from the file

    args, state = dtype.state.get("__args__"), dtype.state.get("__state__")
    if not (isinstance(args, tuple) and args and type(args[0]) is str):
        raise Unanalysable("a joblib array whose dtype cannot be read")
    try:
        base = np.dtype(args[0])
    except (TypeError, ValueError) as exc:
        raise Unanalysable(f"a joblib array with an unknown dtype {args[0]!r}") from exc
    if base.fields is not None or base.subdtype is not None:
        raise Unanalysable("a joblib array with a structured dtype")
    itemsize, has_object = base.itemsize, base.hasobject
    if state is not None:
        # (version, byte order, subarray, names, fields, itemsize, alignment, flags[, metadata]);
        # only void (record) dtypes, e.g. a tree's nodes, have names and fields.
        plain = state[3:5] == (None, None) if isinstance(state, tuple) else False
        if not (isinstance(state, tuple) and len(state) in (8, 9) and state[2] is None
                and (plain or base.kind == "V")
                and all(type(v) is int for v in state[5:8])):
            raise Unanalysable("a joblib array whose dtype state is unusual")
        elsize, flags = state[5], state[7]
        if itemsize == 0 and elsize > 0:  # an unsized flexible type takes its size from here
            itemsize = elsize
        elif elsize not in (-1, itemsize):
            raise Unanalysable("a joblib array whose dtype sizes disagree")
        if bool(flags & 1) != has_object:
            raise Unanalysable("a joblib array whose dtype flags disagree")
    return itemsize, has_object


def walk(source: Budgeted, *, joblib_arrays: bool = False,
         allow_persistent_ids: bool = False) -> Walk:
    """Walk one pickle stream from `source` up to its STOP.

    Raises `Truncated` if the stream ends early, `BudgetExceeded` past the budget, and
    ValueError if it is not a well-formed pickle.
    """
    result = Walk()
    walker = _Walker(source, result, joblib_arrays=joblib_arrays,
                     allow_persistent_ids=allow_persistent_ids)
    try:
        walker.run()
    except (struct.error, UnicodeDecodeError, OverflowError) as exc:
        raise ValueError(f"malformed pickle: {exc}") from exc
    except RecursionError as exc:  # pragma: no cover - MAX_NESTING keeps the depth small
        raise ValueError("malformed pickle: nested too deeply") from exc
    return result


def summarize(data: bytes) -> PickleSummary:
    """Walk the opcodes of one pickle stream. Raises ValueError if it is not a complete pickle."""
    source = Budgeted(io.BytesIO(data), max(DEFAULT_MAX_BYTES, len(data) + 1), seekable=True)
    try:
        result = walk(source)
    except Truncated as exc:
        raise ValueError(f"pickle exhausted before seeing STOP ({exc})") from exc
    return PickleSummary(result.protocol, result.opcodes, tuple(result.imports))
