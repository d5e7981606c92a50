"""What must never reach a student, checked on an executed lesson notebook.

    problems = guard.output_problems(executed)    # unreadable or broken outputs
    problems += guard.verdict_problems(executed)  # verdicts that their own table contradicts

Each problem is one line naming the cell (0-based index over all cells, as in the notebook
file) and what is wrong:

- an error or anything on stderr (nbgrader scores a grade cell with stderr output 0);
- `NaN`/`nan` where a dash belongs, a `0x7f...` memory address (a raw repr), an
  `OrderedDict(`, `ModelProto(` or `PosixPath(` repr, six-decimal numbers (a pandas Styler's
  default precision), course-internal names ("seed 002"), "file(s)" plurals;
- a cell whose outputs run longer than 40 lines, or a dict/JSON dump longer than 15;
- a figure without alternative text (use `plots.show(fig, alt=...)`);
- a verdict whose table was never shown, or whose text the table's own values contradict
  (see `autograder.course.verdicts`).

Every lesson gets these checks from tests/test_course_authoring.py, which runs each solution
once and hands the executed notebook to these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pandas as pd

from autograder.course.tables import METADATA_KEY, table_record
from autograder.course.verdicts import evaluate

MAX_LINES = 40
MAX_DUMP_LINES = 15
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PATTERNS = [
    (re.compile(r"\b(?:NaN|nan)\b"), "NaN where a dash belongs"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "a memory address (a raw repr)"),
    (re.compile(r"\b(?:OrderedDict|ModelProto|PosixPath|WindowsPath)\("), "a raw repr"),
    (re.compile(r"(?<![\d.])\d+\.\d{6}(?!\d)"), "six-decimal numbers (Styler's default)"),
    (re.compile(r"\bseeds? \d{3}\b", re.I), "a course-internal name (seed NNN)"),
    (re.compile(r"[a-z]\(s\)(?= [a-z])"), "a '(s)' plural: count it and write the right form"),
]
_DATA_URI = re.compile(r"""(?:src|href)=["']data:[^"']*["']""")
_TAG = re.compile(r"<[^>]+>")
_STYLE = re.compile(r"<style.*?</style>", re.S)
_ROW = re.compile(r"<(?:tr|li|p|br|h\d|pre)\b", re.I)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def shown_texts(output: dict) -> Iterator[tuple[str, str]]:
    """(kind, text) of what an output shows: a stream, its text/plain, its HTML's text."""
    if output.get("output_type") == "stream":
        yield "stream", _text(output.get("text", ""))
        return
    data = output.get("data", {})
    if "text/plain" in data:
        yield "text/plain", _text(data["text/plain"])
    if "text/html" in data:
        page = _STYLE.sub(" ", _DATA_URI.sub(" ", _text(data["text/html"])))
        yield "text/html", page


def _lines(kind: str, text: str) -> int:
    if kind == "text/html":
        return len(_ROW.findall(text))
    return len(text.rstrip("\n").splitlines())


def output_problems(notebook: dict) -> list[str]:
    """Everything in the executed notebook's outputs that must not reach a student."""
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") != "code":
            continue
        where = f"cell {index}"
        lines = 0
        for output in cell.get("outputs", []):
            kind_of = output.get("output_type")
            if kind_of == "error":
                problems.append(f"{where}: {output.get('ename')}: "
                                f"{_text(output.get('evalue', ''))[:120]}")
            if kind_of == "stream" and output.get("name") == "stderr":
                problems.append(f"{where}: stderr: {_text(output.get('text', '')).strip()[:120]}")
            if "image/png" in output.get("data", {}) and not _has_alt(output):
                problems.append(f"{where}: a figure without alternative text "
                                "(use plots.show(fig, alt=...))")
            texts = dict(shown_texts(output))
            # What a student sees: the HTML if there is one (JupyterLab and nbconvert prefer it).
            seen = "text/html" if "text/html" in texts else next(iter(texts), None)
            if seen is not None:
                lines += _lines(seen, texts[seen])
            for kind, text in texts.items():
                plain = _TAG.sub(" ", text) if kind == "text/html" else text
                for pattern, what in PATTERNS:
                    found = pattern.search(plain)
                    if found:
                        problems.append(f"{where}: {what} in its {kind} output: "
                                        f"{_around(plain, found)}")
                if kind != "text/html" and _is_dump(plain):
                    problems.append(f"{where}: a dump of {_lines(kind, plain)} lines "
                                    f"(over {MAX_DUMP_LINES}): summarise it or show a table")
        if lines > MAX_LINES:
            problems.append(f"{where}: its outputs run to {lines} lines (over {MAX_LINES})")
    return problems


def _has_alt(output: dict) -> bool:
    alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
    html = _text(output.get("data", {}).get("text/html", ""))
    return bool(str(alt).strip()) or bool(re.search(r"<img[^>]*\balt=\"[^\"]+\"", html))


def _is_dump(text: str) -> bool:
    stripped = text.strip()
    return (stripped[:1] in "{[" and stripped[-1:] in "}]"
            and len(stripped.splitlines()) > MAX_DUMP_LINES)


def _around(text: str, match: re.Match) -> str:
    start, end = max(0, match.start() - 30), min(len(text), match.end() + 30)
    return repr(" ".join(text[start:end].split()))


def _records(notebook: dict, key: str) -> Iterator[tuple[int, dict, dict]]:
    """(cell index, record, output) for each output whose metadata carries `key`."""
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(METADATA_KEY, {}).get(key)
            if record is not None:
                yield index, record, output


def verdict_problems(notebook: dict) -> list[str]:
    """Verdicts not borne out by their own table, as that table was shown in this run."""
    tables: dict[str, tuple[int, dict]] = {}
    problems = []
    for index, record, _ in _records(notebook, "table"):
        columns, rows = record["columns"], record["rows"]
        recomputed = table_record(pd.DataFrame(rows, columns=columns, index=record["index"],
                                               dtype=object))
        if recomputed["digest"] != record["digest"]:
            problems.append(f"cell {index}: a table whose values do not match their digest")
        tables.setdefault(record["digest"], (index, record))
    for index, verdict, output in _records(notebook, "verdict"):
        where = f"cell {index}: verdict {verdict['text'][:60]!r}"
        shown = tables.get(verdict["table"])
        if shown is None or shown[0] > index:
            problems.append(f"{where} is about a table that was not shown before it")
            continue
        try:
            holds = evaluate(verdict["rule"], shown[1])
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        expected = verdict["if_holds"] if holds else verdict["if_fails"]
        printed = _text(output.get("data", {}).get("text/plain", ""))
        if holds != verdict["holds"] or printed != expected:
            problems.append(f"{where}: its table (cell {shown[0]}) says the rule "
                            f"{verdict['rule']!r} is {holds}, so it should say {expected[:60]!r}")
    return problems
