"""Markdown for the generated pages: tables, escaping, links into the lessons."""

from __future__ import annotations

import re
from collections.abc import Sequence

from autograder.course import mistakes


def cell(text: object) -> str:
    """Text for a table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def lesson_link(lesson: str, section: str, text: str | None = None) -> str:
    """A link from docs/ to a heading of a student notebook (the anchor JupyterLab gives it)."""
    label = text or f"{lesson[:2]} · {plain(section)}"
    return f"[{label}](../lessons/{lesson}/{lesson}.ipynb#{mistakes.heading_anchor(section)})"


def plain(heading: str) -> str:
    """A heading as a link text: without backticks or brackets."""
    return heading.replace("`", "").replace("[", "").replace("]", "")


def code(text: str) -> str:
    """Inline code that survives backticks inside it: its fence is longer than any run of them."""
    longest = max(map(len, re.findall("`+", text)), default=0)
    fence, pad = "`" * (longest + 1), " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def strong(text: str) -> str:
    """Bold text whose underscores stay underscores: `__reduce__` is not emphasis. Those
    inside a word (`weights_only`) are never emphasis in CommonMark, so they stay unescaped."""
    return "**" + re.sub(r"(?<![^\W_])_|_(?![^\W_])", r"\_", text) + "**"
