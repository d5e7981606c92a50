"""What the grader's own processes set up before they import nbformat."""

from __future__ import annotations

import sys

IRI_CHECKER = "rfc3987_syntax"


def skip_iri_grammars() -> None:
    """Keep jsonschema's optional `iri` format checker from loading.

    jsonschema 4.26 checks the `iri` and `iri-reference` formats with rfc3987-syntax 1.1.0
    (installed through jupyter-events' `jsonschema[format-nongpl]`), which compiles 39 lark
    grammars when imported: about 1.5 s of the 1.7 s `import nbformat` takes, in every process
    that imports it. No schema nbformat or nbgrader validates uses those formats, and
    jsonschema skips them when the module cannot be imported (python-jsonschema#1392 and
    #1521 are the upstream discussion). A module already loaded is left alone.
    """
    sys.modules.setdefault(IRI_CHECKER, None)
