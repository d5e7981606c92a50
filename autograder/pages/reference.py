"""docs/glossary.md and docs/reading.md: the terms the lessons use, and where to read more.

Both come from TOML next to this module. Each glossary term links to the lesson section that
shows it; each lesson's reading list is official documentation, and lesson 05's advisories link
every CVE it names to its entry in the US National Vulnerability Database.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.course import outline
from autograder.pages.markdown import cell, lesson_link, strong, table

HERE = Path(__file__).parent
ADVISORY = "https://nvd.nist.gov/vuln/detail/{id}"


def terms() -> list[dict]:
    found = tomllib.loads((HERE / "glossary.toml").read_text(encoding="utf-8"))["term"]
    return sorted(found, key=lambda t: t["term"].strip("_").lower())


def reading() -> list[dict]:
    return tomllib.loads((HERE / "reading.toml").read_text(encoding="utf-8"))["lesson"]


def glossary_page(root: Path) -> str:
    out = ["# Glossary", "",
           "The words the lessons use, in one sentence or two each, with the lesson section "
           "that shows them at work.", ""]
    out += table(["Term", "What it means", "Shown in"],
                 [[strong(cell(t["term"])), t["means"], lesson_link(t["lesson"], t["section"])]
                  for t in terms()])
    return "\n".join(out) + "\n"


def reading_page(root: Path) -> str:
    titles = {lesson.id: lesson.title for lesson in outline.lessons(root)}
    out = ["# Further reading", "",
           "Per lesson: the official documentation of what it uses, and the security "
           "advisories it cites. The lessons are written against the pinned versions in "
           "`requirements.txt`; these pages describe the current releases.", ""]
    for lesson in reading():
        lesson_id = lesson["id"]
        out += [f"## {lesson_id[:2]} · {titles.get(lesson_id, lesson_id)}", ""]
        out += [f"- [{link['title']}]({link['url']})" for link in lesson["links"]]
        if lesson.get("advisories"):
            out += ["", "Advisories the lesson names:", ""]
            out += [f"- [{a['id']}]({ADVISORY.format(id=a['id'])}): {a['about']}"
                    for a in lesson["advisories"]]
        out.append("")
    return "\n".join(out)


def page(name: str, root: Path = ROOT) -> str:
    return {"glossary.md": glossary_page, "reading.md": reading_page}[name](root)
