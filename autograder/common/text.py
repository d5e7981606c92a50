"""One-line text: what a report, a CSV cell or a test message shows of a longer text."""

from __future__ import annotations

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _lines(text) -> list[str]:
    return [line.strip() for line in str(text).strip().splitlines() if line.strip()]


def first_line(text, limit: int = 240) -> str:
    """The first non-empty line (an exception message's own line, a command's headline)."""
    lines = _lines(text)
    return shorten(lines[0] if lines else "", limit)


def last_line(text, limit: int = 200) -> str:
    """The last non-empty line (where a log or a traceback says what finally went wrong)."""
    lines = _lines(text)
    return shorten(lines[-1] if lines else "", limit)


def error_line(exc: BaseException, limit: int = 240) -> str:
    """`Type: first line of the message`, or just `Type` when the message is empty."""
    message = first_line(exc, limit)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
