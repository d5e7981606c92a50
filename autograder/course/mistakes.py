"""The catalogue of mistakes the course recognises: each has an id, a message, a fix and a home.

Every entry of `mistakes.toml` (next to this module) names one mistake a student makes when
saving or loading a model, and where the course teaches it:

    [text-mode]
    title = "Saving in text mode"            # a few words, for tables and summaries
    message = "The file was opened with 'w' (text) instead of 'wb' (binary)."
    fix = "Open the file with 'wb' to save and 'rb' to load."
    lesson = "01-pickle"                     # the lesson that teaches it
    section = "Text mode and binary mode"    # a heading of that lesson, as written
    error = "TypeError: write() argument must be str, not bytes"   # optional: what the
                                             # library prints today, `Type: message`
    reproduce = '''...'''                    # optional: code that makes the library print it
    check = "'model.pkl' is empty (0 bytes): ..."   # optional: check_artifact's own message,
                                             # which it ends with `(mistake: text-mode)`
    check_reproduce = '''...'''              # for it: code that binds `result`, a CheckResult

Test cells and `check_artifact` name the mistake they recognised in their message with
`tag(id, message)`, which appends `(mistake: ID)`; feedback pages and the class report read
ids back with `found(text)`. Paths in quoted messages are written as `/path/to`, the folder the
code ran in. A link to the section works in JupyterLab and in nbconvert HTML:
both give a Markdown heading the id of its text with spaces replaced by hyphens.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

CATALOGUE = Path(__file__).with_name("mistakes.toml")
TAG = re.compile(r"\(mistake: ([a-z0-9]+(?:-[a-z0-9]+)*)\)")
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PLACEHOLDER = re.compile(r"/path/to|0x…|…|<")  # a repr varies too
MIN_PREFIX = 12  # shorter fixed text than this says too little to name a mistake
MARKUP = re.compile(r"[`*_]{1,2}(?=\S)|(?<=\S)[`*_]{1,2}")


@dataclass(frozen=True, kw_only=True)
class Mistake:
    id: str
    title: str
    message: str
    fix: str
    lesson: str
    section: str
    error: str = ""
    reproduce: str = ""
    check: str = ""
    check_reproduce: str = ""

    @property
    def anchor(self) -> str:
        """The id JupyterLab and nbconvert give the section's heading."""
        return heading_anchor(self.section)

    def link(self, *, html: bool = False) -> str:
        """Where the section is, relative to a folder next to the lesson's own folder
        (`../01-pickle/01-pickle.ipynb#Text-mode-and-binary-mode`)."""
        suffix = "html" if html else "ipynb"
        return f"../{self.lesson}/{self.lesson}.{suffix}#{self.anchor}"


def heading_anchor(heading: str) -> str:
    """A Markdown heading's id: its text without inline markup, spaces as hyphens, URL-quoted
    as nbconvert does (JupyterLab gives plain-text headings the same id)."""
    text = MARKUP.sub("", heading.lstrip("#").strip())
    return quote(text.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


@cache
def catalogue() -> dict[str, Mistake]:
    """Every mistake, by id, in the order of the file."""
    entries = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    found = {}
    for key, fields in entries.items():
        if not ID.fullmatch(key):
            raise ValueError(f"{CATALOGUE.name}: '{key}' is not an id (lowercase words and "
                             f"hyphens)")
        found[key] = Mistake(id=key, **fields)
    return found


def get(mistake_id: str) -> Mistake:
    try:
        return catalogue()[mistake_id]
    except KeyError:
        raise KeyError(f"no mistake '{mistake_id}' in {CATALOGUE.name}") from None


def tag(mistake_id: str, message: str) -> str:
    """`message (mistake: ID)`: how a test message names the mistake it recognised."""
    get(mistake_id)  # a typo in an id fails where it is written, not in a feedback page
    return f"{message} (mistake: {mistake_id})"


def found(text: str) -> list[str]:
    """The known mistake ids a message names, in order, each once."""
    ids = [m for m in TAG.findall(text or "") if m in catalogue()]
    return list(dict.fromkeys(ids))


def recognise(ename: str, evalue: str) -> str | None:
    """The mistake whose library error this is (an exception a student's own code raised,
    which no test message tags), or None. The catalogued `error` is compared up to its first
    placeholder (`/path/to`, `0x…`, `…`, a `<repr>`), since paths and reprs vary."""
    for mistake in catalogue().values():
        kind, _, text = mistake.error.partition(": ")
        prefix = PLACEHOLDER.split(text, maxsplit=1)[0]
        if kind and ename.rsplit(".", 1)[-1] == kind and len(prefix) >= MIN_PREFIX \
                and evalue.startswith(prefix):
            return mistake.id
    return None
