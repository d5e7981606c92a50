"""autograder.artifacts.enums: the checker's names are strings, so they cross the sandbox's
argv and status.json and come back as the same members; and the module imports nothing else,
so the sandboxed child can use it."""

import ast
import csv
import io
import json

import pytest

from autograder.artifacts import enums
from autograder.artifacts.enums import (
    CODE_FORMATS,
    WEIGHTS_ONLY,
    Conclusion,
    ErrorKind,
    Format,
    Problem,
    Stage,
    Verdict,
)

ALL = [Format, Verdict, Problem, Stage, ErrorKind, Conclusion]


@pytest.mark.parametrize("kind", ALL, ids=lambda kind: kind.__name__)
def test_no_member_is_an_alias_of_another(kind):
    # Two members with one value would silently be one member (and one branch of the caller).
    assert len(kind.__members__) == len(kind) == len({member.value for member in kind})


@pytest.mark.parametrize("kind", ALL, ids=lambda kind: kind.__name__)
def test_every_member_survives_a_round_trip_through_json(kind):
    for member in kind:
        back = json.loads(json.dumps({"value": member}))["value"]
        assert type(back) is str and kind(back) is member


def test_a_member_is_its_value_in_text():
    assert Verdict.SANDBOX == "sandbox-only" and f"{Verdict.SANDBOX}" == "sandbox-only"
    assert str(Format.TORCH_LEGACY) == "torch-legacy"  # what the child gets as --format
    out = io.StringIO()
    csv.writer(out).writerow([Conclusion.SHAPE_DIFFERS, Stage.DONE])
    assert out.getvalue().strip() == "shape-differs,done"


def test_a_status_without_an_error_reads_as_no_error():
    # reload reads ErrorKind(status.get("error_kind", "")): "" must be a member, and falsy.
    assert ErrorKind("") is ErrorKind.NONE and not ErrorKind.NONE
    assert not Problem.NONE and not Format.NONE
    assert all(member for kind in ALL for member in kind if member.name != "NONE")


def test_an_unknown_value_is_refused():
    with pytest.raises(ValueError, match="'pickle5' is not a valid Format"):
        Format("pickle5")  # argparse turns this into "invalid Format value"


def test_weights_only_and_code_formats_are_apart_from_the_pickles():
    assert not WEIGHTS_ONLY & CODE_FORMATS
    # A pickle rebuilds its object itself: it never needs the model's class to be named, and
    # it is never a "code format" that analysis would merely sandbox rather than inspect.
    for fmt in (Format.PICKLE, Format.JOBLIB, Format.SKOPS, Format.NONE):
        assert fmt not in WEIGHTS_ONLY | CODE_FORMATS
    assert all(isinstance(fmt, Format) for fmt in WEIGHTS_ONLY | CODE_FORMATS)


def test_the_module_imports_only_the_standard_enum():
    tree = ast.parse(open(enums.__file__, encoding="utf-8").read())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert imported <= {"__future__", "enum"}, imported
