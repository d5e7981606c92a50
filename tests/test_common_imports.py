"""skip_iri_grammars: nbformat imports without rfc3987-syntax and still validates notebooks."""

import subprocess
import sys

import pytest

PROBE = """
import sys
{call}
import nbformat
from nbformat.v4 import new_code_cell, new_notebook
nb = new_notebook(cells=[new_code_cell("print(1)")])
nbformat.validate(nb)
bad = new_notebook(cells=[new_code_cell("x")])
bad.cells[0]["execution_count"] = "one"
try:
    nbformat.validate(bad)
except nbformat.ValidationError:
    print("invalid refused")
print("loaded" if sys.modules.get("rfc3987_syntax") else "skipped")
"""
CALL = "from autograder.common.imports import skip_iri_grammars; skip_iri_grammars()"


def probe(call: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(call=call)], capture_output=True,
                          text=True, check=True)
    return done.stdout.split("\n")[:2]


def test_nbformat_validates_without_the_iri_checker():
    assert probe(CALL) == ["invalid refused", "skipped"]


def test_without_the_call_nbformat_loads_it():
    # What the call saves: if this fails, jsonschema no longer imports the module, and
    # skip_iri_grammars can go.
    pytest.importorskip("rfc3987_syntax")
    assert probe("") == ["invalid refused", "loaded"]


def test_a_module_already_loaded_is_left_alone(monkeypatch):
    from autograder.common import imports

    marker = object()
    monkeypatch.setitem(sys.modules, imports.IRI_CHECKER, marker)
    imports.skip_iri_grammars()
    assert sys.modules[imports.IRI_CHECKER] is marker
