"""Look inside a pickle without loading it: its protocol, its opcodes, and what it imports.

A pickle is a small program for the pickle virtual machine. Loading it imports every global
the program names (GLOBAL, or STACK_GLOBAL with two strings from the stack) and calls them.
`summarize` walks the opcodes with `pickletools.genops` and follows the stack and the memo,
so the module and name of every STACK_GLOBAL are recovered even when they come from the memo.
Nothing is imported or executed.
"""

from __future__ import annotations

import pickletools
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import Counter
from dataclasses import dataclass

STRING_OPCODES = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
                  "STRING", "BINSTRING", "SHORT_BINSTRING"}
_MARK = object()  # stands for the MARK opcode's entry on the simulated stack


@dataclass(frozen=True)
class PickleSummary:
    protocol: int
    opcodes: Counter
    imports: tuple[tuple[str, str], ...]  # (module, name) in the order loading imports them


def _pop(stack: list, n: int) -> list:
    if n > len(stack):
        raise ValueError("malformed pickle: stack underflow")
    popped = stack[len(stack) - n:]
    del stack[len(stack) - n:]
    return popped


def _as_loaded(module: str, name: str, declared: int | None) -> tuple[str, str]:
    """The global pickle.load really imports: below protocol 3 it maps Python 2 names
    (`__builtin__`, `copy_reg`...) to Python 3 ones, as `Unpickler(fix_imports=True)` does."""
    if (declared or 0) < 3:
        if (module, name) in NAME_MAPPING:
            return NAME_MAPPING[(module, name)]
        return IMPORT_MAPPING.get(module, module), name
    return module, name


def summarize(data: bytes) -> PickleSummary:
    """Walk the opcodes of one pickle stream. Raises ValueError if it is not a complete pickle."""
    stack: list = []
    memo: dict = {}
    opcodes: Counter = Counter()
    imports: list[tuple[str, str]] = []
    declared, highest = None, 0
    for op, arg, _pos in pickletools.genops(data):
        name = op.name
        opcodes[name] += 1
        highest = max(highest, op.proto)
        if name == "PROTO":  # protocols 2+ declare themselves; 0 and 1 only by their opcodes
            declared = arg
        if name in {"GLOBAL", "INST"}:  # "module name" is the opcode's own argument
            module, qualname = arg.split(" ", 1)
            imports.append(_as_loaded(module, qualname, declared))
            if name == "GLOBAL":  # INST also calls the class: its stack effect is applied below
                stack.append(None)
                continue
        if name == "STACK_GLOBAL":  # protocols 4-5: module and name are popped from the stack
            module, qualname = _pop(stack, 2)
            imports.append(_as_loaded(str(module), str(qualname), declared))
            stack.append(None)
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
            continue
        if name in {"PUT", "BINPUT", "LONG_BINPUT"}:
            memo[arg] = stack[-1] if stack else None
            continue
        if name in {"GET", "BINGET", "LONG_BINGET"}:
            stack.append(memo.get(arg))
            continue
        # Every other opcode: apply its documented stack effect.
        before = op.stack_before
        if pickletools.markobject in before:
            while stack and stack[-1] is not _MARK:
                stack.pop()
            if not stack:
                raise ValueError("malformed pickle: no MARK on the stack")
            stack.pop()
            _pop(stack, before.index(pickletools.markobject))
        else:
            _pop(stack, len(before))
        for item in op.stack_after:
            if item is pickletools.markobject:
                stack.append(_MARK)
            elif name in STRING_OPCODES:
                stack.append(arg)
            else:
                stack.append(None)
    protocol = highest if declared is None else declared
    return PickleSummary(protocol, opcodes, tuple(imports))
