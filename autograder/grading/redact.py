"""Keep hidden tests out of feedback outputs, not just out of the test cells' source.

nbgrader's ClearHiddenTests removes the hidden region from each test cell's source. The code
still reaches the page through outputs: the traceback of a failing hidden assert quotes its
line, and student code can print cells as they run (an IPython `pre_run_cell` hook) or read
its own sanitized notebook. `RedactHiddenTests` runs before ClearHiddenTests in
GenerateFeedback: it collects the hidden lines from the sources, then replaces every output
line that quotes one (after removing ANSI colours and HTML escapes).
"""

from __future__ import annotations

import html
import re

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TAG = re.compile(r"<[^>]+>")
REDACTED = "[hidden test line removed from feedback]"


def normalize(text: str) -> str:
    """What a line says, whatever colours, HTML escapes or indentation it was printed with."""
    text = html.unescape(TAG.sub("", ANSI.sub("", text)))
    return " ".join(text.split())


def hidden_lines(source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS",
                 min_length: int = 12) -> set[str]:
    """Normalized lines between the hidden-test markers, long enough to be unambiguous."""
    found, inside = set(), False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and len(normalize(line)) >= min_length:
            found.add(normalize(line))
    return found


def quotes_any(text: str, lines: set[str]) -> bool:
    flat = normalize(text)
    return any(line in flat for line in lines)


def scrub_text(text: str, lines: set[str]) -> str:
    return "\n".join(REDACTED if quotes_any(part, lines) else part
                     for part in text.split("\n"))


def scrub_output(output: NotebookNode, lines: set[str]) -> None:
    kind = output.get("output_type")
    if kind == "stream":
        output["text"] = scrub_text(output.get("text", ""), lines)
    elif kind == "error":
        output["evalue"] = scrub_text(output.get("evalue", ""), lines)
        output["traceback"] = [scrub_text(entry, lines) for entry in output.get("traceback", [])]
    elif kind in ("display_data", "execute_result"):
        data = output.get("data", {})
        for mime in list(data):
            value = data[mime]
            text = "".join(value) if isinstance(value, list) else value
            if not isinstance(text, str) or not quotes_any(text, lines):
                continue
            if mime == "text/plain":
                data[mime] = scrub_text(text, lines)
            else:  # rich output that quotes hidden code: keep only its redacted plain text
                del data[mime]
        if not data:
            data["text/plain"] = REDACTED


class RedactHiddenTests(NbGraderPreprocessor):
    """Replace every output line that quotes a hidden-test line. Put it before ClearHiddenTests."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)
    min_length = Integer(12, help="Shorter hidden lines (e.g. 'else:') are not redacted.").tag(
        config=True)

    def preprocess(self, nb: NotebookNode,
                   resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        lines: set[str] = set()
        for cell in nb.cells:
            lines |= hidden_lines(cell.source, self.begin_test_delimeter,
                                  self.end_test_delimeter, self.min_length)
        if lines:
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    scrub_output(output, lines)
        return nb, resources
