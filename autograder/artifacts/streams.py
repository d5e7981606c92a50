"""Read an untrusted byte stream within a budget, so analysis never inflates a bomb in memory.

`Budgeted` wraps any binary file object (a plain file, a decompressing reader, a zip member)
and counts every byte read or skipped. Past `max_bytes` it raises `BudgetExceeded`: a
decompression bomb or a multi-GB file is refused by the budget, never read into memory.
Skipping (raw array bytes) seeks when it can and otherwise reads in fixed-size chunks.
"""

from __future__ import annotations

import io

CHUNK = 1 << 20
DEFAULT_MAX_BYTES = 2 * 1024**3  # 2 GiB of (decompressed) stream per artifact
KEEP_LINE = 1 << 20  # longer protocol-0 lines (array data as text) are skipped, not kept


class BudgetExceeded(Exception):
    """The stream is longer than the analysis budget allows."""


class Truncated(ValueError):
    """The stream ended in the middle of something."""


class Budgeted:
    """A read-only view of `raw` that stops at `max_bytes` bytes consumed."""

    def __init__(self, raw, max_bytes: int = DEFAULT_MAX_BYTES, *, seekable: bool = False):
        self.raw = raw
        self.max_bytes = max_bytes
        self.consumed = 0
        self._seekable = seekable

    def _charge(self, n: int) -> None:
        if self.consumed + n > self.max_bytes:
            raise BudgetExceeded(f"more than {self.max_bytes:,} bytes")
        self.consumed += n

    def read(self, n: int) -> bytes:
        """Exactly n bytes, or Truncated."""
        if n < 0:
            raise ValueError("negative length")
        self._charge(n)
        parts, wanted = [], n
        while wanted:
            piece = self.raw.read(min(wanted, CHUNK))
            if not piece:
                raise Truncated("the stream ends early")
            parts.append(piece)
            wanted -= len(piece)
        return b"".join(parts)

    def read_some(self, n: int) -> bytes:
        """Up to n bytes (b'' at the end of the stream)."""
        piece = self.raw.read(n)
        self._charge(len(piece))
        return piece

    def readline(self, keep: int = KEEP_LINE) -> tuple[bytes | None, int]:
        """(line including its newline, its length); the line is None when it is longer than
        `keep`: it is then consumed chunk by chunk without being kept."""
        parts, length = [], 0
        while True:
            piece = self.raw.readline(CHUNK)
            self._charge(len(piece))
            length += len(piece)
            if length <= keep:
                parts.append(piece)
            if not piece or piece.endswith(b"\n"):
                break
        if not piece.endswith(b"\n"):
            raise Truncated("the stream ends inside a line")
        return (b"".join(parts) if length <= keep else None), length

    def skip(self, n: int) -> None:
        """Move past n bytes without keeping them."""
        if n < 0:
            raise ValueError("negative length")
        self._charge(n)
        if self._seekable:
            here = self.raw.tell()
            end = self.raw.seek(0, io.SEEK_END)
            if here + n > end:
                raise Truncated("the stream ends early")
            self.raw.seek(here + n)
            return
        wanted = n
        while wanted:
            piece = self.raw.read(min(wanted, CHUNK))
            if not piece:
                raise Truncated("the stream ends early")
            wanted -= len(piece)

    def at_end(self) -> bool:
        """True when nothing follows (used to spot trailing data)."""
        if self._seekable:
            here = self.raw.tell()
            end = self.raw.seek(0, io.SEEK_END)
            self.raw.seek(here)
            return here >= end
        return not self.raw.read(1)
