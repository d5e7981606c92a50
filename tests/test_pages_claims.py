"""autograder.pages.claims: verdicts come from the figures, by the claim's own rules."""

from autograder.pages import claims
from autograder.pages.figures import Results


def results(**medians) -> Results:
    return Results({"sections": [{"key": "s", "title": "S", "facts": {"ran": True},
                                  "measurements": [{"key": k, "median": v, "unit": "s",
                                                    "n": 3} for k, v in medians.items()]}]})


CLAIM = {"seed": "002", "quote": "q", "lesson": "01-pickle", "section": "x",
         "figures": {"fast": "s.fast", "slow": "s.slow"},
         "derived": {"speedup": ["slow / fast", "ratio"]},
         "holds": "speedup >= 10", "fails": "speedup < 2",
         "evidence": "{fast} against {slow}: {speedup}"}


def test_the_verdict_follows_the_figures():
    assert claims.decide(CLAIM, results(fast=0.1, slow=2.0)).verdict == claims.HOLDS
    assert claims.decide(CLAIM, results(fast=1.0, slow=1.5)).verdict == claims.FAILS
    decided = claims.decide(CLAIM, results(fast=1.0, slow=5.0))
    assert decided.verdict == claims.DEPENDS
    assert decided.evidence == "1.00 s against 5.00 s: 5.00×"


def test_a_missing_figure_is_not_measured_and_derived_figures_are_traced():
    assert claims.decide(CLAIM, results(fast=1.0)).verdict == claims.UNMEASURED
    found = results(fast=1.0, slow=5.0)
    claims.decide(CLAIM, found)
    assert [f.text for f in found.used] == ["1.00 s", "5.00 s", "5.00×"]


def test_facts_and_catalogued_errors_decide_too():
    claim = {**CLAIM, "figures": {"ran": "s.ran", "text_mode": "error:text-mode"},
             "derived": {}, "holds": "ran and text_mode", "fails": "not ran",
             "evidence": "ran: {ran}", "errors": ["text-mode"]}
    decided = claims.decide(claim, results())
    assert decided.verdict == claims.HOLDS
    assert decided.evidence == "ran: yes `TypeError: write() argument must be str, not bytes`"
