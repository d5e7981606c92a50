"""The package docstring is a map of autograder/: one line per module, none missing, none stale."""

import re
from pathlib import Path

import autograder


def test_the_package_docstring_maps_every_module():
    root = Path(autograder.__file__).parent
    modules = {str(path.relative_to(root)) for path in root.rglob("*.py")
               if path.name != "__init__.py" or path.parent.name == "cli"} - {"__init__.py"}
    mapped, folder = set(), ""
    for line in autograder.__doc__.splitlines():
        if m := re.fullmatch(r"    (\w+)/", line):
            folder = m[1] + "/"
        elif m := re.fullmatch(r"      ([\w.]+\.py)\s{2,}\S.*", line):
            mapped.add(folder + m[1])
        elif m := re.fullmatch(r"    ([\w.]+\.py)\s{2,}\S.*", line):
            mapped.add(m[1])
    assert mapped == modules
