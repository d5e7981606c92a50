"""Every link from a docs page into a lesson must open a heading of that student notebook.

The lessons are rewritten over time, so a heading that a page links to can disappear: `broken`
names each such link exactly (page, link text, target, and the headings the notebook has now).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.course import mistakes

# The target may hold balanced parentheses, as CommonMark allows: "#4.1-torch.save(model)".
LINK = re.compile(r"\[([^\]]*)\]\(\.\./lessons/([0-9]{2}-[\w-]+)/([\w-]+)\.ipynb"
                  r"(?:#((?:[^()\s]|\([^()\s]*\))*))?\)")
HEADING = re.compile(r"^#{1,6} (.*)$")


@cache
def anchors(lesson: str, root: Path = ROOT) -> dict[str, str]:
    """anchor -> heading text, for every Markdown heading of lessons/LESSON/LESSON.ipynb."""
    path = root / "lessons" / lesson / f"{lesson}.ipynb"
    if not path.is_file():
        return {}
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if match := HEADING.match(line):
                    found[mistakes.heading_anchor(line)] = match[1]
    return found


def broken(text: str, page: str, root: Path = ROOT) -> list[str]:
    """One line per link in `text` (the page `page`) that opens no heading of its lesson."""
    out = []
    for label, lesson, notebook, anchor in LINK.findall(text):
        target = f"lessons/{lesson}/{notebook}.ipynb" + (f"#{anchor}" if anchor else "")
        known = anchors(lesson, root)
        if notebook != lesson or not known:
            out.append(f"{page}: link [{label}] -> {target}: there is no such notebook")
        elif anchor and anchor not in known:
            out.append(f"{page}: link [{label}] -> {target}: no heading with that anchor in "
                       f"lessons/{lesson} now (its headings: "
                       f"{'; '.join(known.values())})")
    return out
