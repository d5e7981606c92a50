"""docs/claims.md, the seed claims ledger: each claim of the syllabus, decided by a figure.

Each claim in claims.toml names the figures that decide it (docs/benchmarks.json, or an error
the mistakes catalogue quotes and the tests rerun), rules for "holds" and "does not hold", and
a sentence that shows the figures. The verdict is computed here, from this run's figures; only
the few claims no measurement can decide (the law) carry a written verdict, and say so.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from autograder.common.paths import ROOT
from autograder.course import mistakes
from autograder.pages.figures import Figure, Results, quoted
from autograder.pages.markdown import code, lesson_link, table

SOURCE = Path(__file__).with_name("claims.toml")
HOLDS, FAILS, DEPENDS, UNMEASURED = "holds", "does not hold", "depends", "not measured"
KIND_UNITS = {"ratio": "×", "duration": "s", "size": "bytes", "number": ""}
SAFE = {"min": min, "max": max, "all": all, "any": any, "abs": abs, "len": len}


@dataclass(frozen=True)
class Decided:
    claim: dict
    verdict: str
    evidence: str


def claims() -> list[dict]:
    return tomllib.loads(SOURCE.read_text(encoding="utf-8"))["claim"]


def shown(value) -> str:
    """A fact or an error as the ledger writes it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return code(str(value))


def evaluate(rule: str, values: dict) -> bool:
    return bool(eval(rule, {"__builtins__": {}, **SAFE}, values))  # noqa: S307 - our own rules


def decide(claim: dict, results: Results) -> Decided:
    if "verdict" in claim:  # no figure decides it: written, with its reason and source
        why = claim["why"] + (f" ({quoted('source', claim['source'])})" if "source" in claim
                              else "")
        return Decided(claim, claim["verdict"], why)
    values, texts, missing = {}, {}, []
    for name, ref in claim.get("figures", {}).items():
        if ref.startswith("error:"):
            values[name] = bool(mistakes.get(ref.removeprefix("error:")).error)
            continue
        figure = results.figure(ref)
        value = figure.value if figure else results.fact(ref)
        if value is None:
            missing.append(ref)
            continue
        values[name] = value
        texts[name] = figure.text if figure else shown(value)
    if missing:
        return Decided(claim, UNMEASURED, f"No figure in this run for {', '.join(missing)}.")
    for name, (expression, kind) in claim.get("derived", {}).items():
        value = float(eval(expression, {"__builtins__": {}, **SAFE}, values))  # noqa: S307
        derived = Figure(f"derived:{name}", value, KIND_UNITS[kind], 1, "computed")
        results.used.append(derived)
        values[name], texts[name] = value, derived.text
    verdict = (HOLDS if evaluate(claim["holds"], values)
               else FAILS if evaluate(claim["fails"], values) else DEPENDS)
    evidence = claim["evidence"].format(**texts)
    for mistake in claim.get("errors", []):
        evidence += f" {code(mistakes.get(mistake).error)}"
    return Decided(claim, verdict, evidence)


def page(name: str = "claims.md", root: Path = ROOT, results: Results | None = None) -> str:
    """The page; `results` (default: root's docs/benchmarks.json) records what it quoted."""
    results = results or Results.load(root / "docs" / "benchmarks.json")
    decided = [decide(claim, results) for claim in claims()]
    counts = Counter(d.verdict for d in decided)
    tally = ", ".join(f"{counts[v]} {v}" for v in (HOLDS, FAILS, DEPENDS, UNMEASURED)
                      if counts[v])
    out = ["# The syllabus's claims, checked", "",
           "The course began from a syllabus (three texts, numbered 000, 001 and 002) that "
           "makes claims about formats, speed and safety. This ledger checks every "
           "quantitative or factual one on today's library versions: the verdict, the figure "
           "that decides it, and the lesson section that measures it. Verdicts are computed "
           "from the figures each time the page is generated; a claim holds, does not hold, or "
           "depends on something the evidence names.", "",
           f"**This run:** {len(decided)} claims: {tally}.", ""]
    out += table(["Seed", "Claim", "Verdict", "The figure that decides it", "Measured in"],
                 [[d.claim["seed"], f"“{d.claim['quote']}”", f"**{d.verdict}**", d.evidence,
                   lesson_link(d.claim["lesson"], d.claim["section"])] for d in decided])
    out += ["", "## Where the figures come from", "",
            f"Measured by `make bench` (`autograder bench`; [benchmarks.md](benchmarks.md) "
            f"has every row): the run {results.run()}. Errors are the first line each library "
            "prints today, rerun by the tests from the course's catalogue of mistakes "
            "([error atlas](errors.md)). Your machine differs: rerun `make bench`, then "
            "`autograder pages`, and the verdicts are computed again."]
    return "\n".join(out) + "\n"
