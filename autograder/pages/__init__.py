"""The course's reference pages in docs/, generated from data (`autograder pages`).

    docs/formats.md    the format decision guide       formats.py, formats.toml, benchmarks.json
    docs/claims.md     the syllabus's claims, checked  claims.py, claims.toml, benchmarks.json
    docs/errors.md     the error atlas                 errors.py, course/mistakes.toml
    docs/glossary.md   the glossary                    reference.py, glossary.toml
    docs/reading.md    further reading per lesson      reference.py, reading.toml

No figure in these pages is typed: each comes from docs/benchmarks.json, which `autograder bench`
(`make bench`) writes, and the page says which run measured it. A figure the course did not
measure is a link whose text starts with "quoted:" and whose target is its source. Links into
the lessons point at Markdown headings of the student notebooks (`links.broken` checks them).
`write_all` regenerates every page; `drift` lists the pages that differ from a regeneration.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from autograder.common.paths import ROOT

DOCS = ROOT / "docs"
PAGES = {"formats.md": "formats", "claims.md": "claims", "errors.md": "errors",
         "glossary.md": "reference", "reading.md": "reference"}


def render(name: str, root: Path = ROOT) -> str:
    """One page's Markdown, generated now."""
    module = importlib.import_module(f"{__name__}.{PAGES[name]}")
    return module.page(name, root)


def write_all(root: Path = ROOT) -> list[Path]:
    written = []
    for name in PAGES:
        path = root / "docs" / name
        path.write_text(render(name, root), encoding="utf-8")
        written.append(path)
    return written


def drift(root: Path = ROOT) -> list[str]:
    """Pages whose committed text differs from what their data generates (one line each)."""
    out = []
    for name in PAGES:
        path = root / "docs" / name
        if not path.is_file():
            out.append(f"docs/{name}: missing (run `autograder pages`)")
        elif path.read_text(encoding="utf-8") != render(name, root):
            out.append(f"docs/{name}: differs from its data (run `autograder pages`)")
    return out
