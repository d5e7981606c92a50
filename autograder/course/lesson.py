"""A lesson's setup in one call, and quiet library calls.

    from autograder.course import lesson

    ARTIFACTS = lesson.start(sklearn="1.9.1", joblib="1.6.0")

`start` checks that the kernel runs Python 3.11 and that each named module has its pinned
version (a mismatch says to run `make lab`), empties and recreates `artifacts/` next to the
notebook (a stale file from an earlier run could hide a mistake; git ignores the folder), and
prints one line: the versions and the machine the lesson's measurements come from.

    with lesson.quietly():
        onnx_model = convert_sklearn(...)    # warnings and stray stderr lines are swallowed

Any output on stderr scores a grade cell 0, and library chatter is noise to a student; real
errors still raise. Logging is switched off inside the block too: torch's log handlers hold the
stream they were created with, so redirecting `sys.stderr` alone does not reach them.

    except pickle.PicklingError as error:
        print(lesson.error_line(error))   # PicklingError: Can't pickle <function <lambda>>: ...

`error_line` shows an error as `Type: message` on one line, without the memory addresses
(`at 0x7f...`) that some messages carry: they differ on every run and mean nothing to a reader.

    except pickle.UnpicklingError as error:
        print(lesson.refusal(error))   # UnpicklingError: ... Unsupported global: GLOBAL ...

`refusal` is for loaders whose messages run to paragraphs of advice (torch.load's): it keeps the
line that names the refused global, or else the whole first sentence, never a line cut mid-word.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from autograder.common import text
from autograder.course import measure

__all__ = ["ARTIFACTS", "error_line", "quietly", "refusal", "start"]

ARTIFACTS = Path("artifacts")
PYTHON = (3, 11)
NAMES = {"sklearn": "scikit-learn"}  # import name -> the name people know
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # torch colours some messages for terminals
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def start(**pins: str) -> Path:
    """Check versions, give the lesson a fresh `artifacts/` folder, say what runs it."""
    found = ".".join(map(str, sys.version_info[:2]))
    assert sys.version_info[:2] == PYTHON, (
        f"This course is tested on Python {'.'.join(map(str, PYTHON))}, not {found}: "
        "run `make lab`.")
    versions = []
    for module_name, pinned in pins.items():
        module = importlib.import_module(module_name)
        version = str(module.__version__).split("+")[0]  # torch's "2.13.0+cpu"
        name = NAMES.get(module_name, module_name)
        assert version == pinned, (
            f"Expected {name} {pinned}, found {version}: run `make lab`.")
        versions.append(f"{name} {version}")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir()
    print(f"{', '.join(versions) or 'Python ' + found} on {measure.machine()}")
    return ARTIFACTS


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Run library calls with their warnings and stray stderr lines kept out of the notebook."""
    previous = logging.root.manager.disable
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            yield
        finally:
            logging.disable(previous)


def error_line(error: BaseException) -> str:
    """`Type: first line of the message`, memory addresses removed."""
    return _ADDRESS.sub("", text.error_line(error))


def refusal(error: BaseException) -> str:
    """`Type: the line that names the refused global`, or `Type: first sentence` of the message."""
    lines = [line.strip() for line in _ANSI.sub("", str(error)).splitlines() if line.strip()]
    refused = next((line for line in lines if "GLOBAL" in line), None)
    if refused is not None:
        refused = refused.split(" Please use")[0].replace("WeightsUnpickler error: ", "")
        lead = "Weights only load failed. " if "Weights only load failed" in lines[0] else ""
        return f"{type(error).__name__}: {lead}{refused}"
    first = _SENTENCE_END.split(" ".join(lines), maxsplit=1)[0] if lines else ""
    return _ADDRESS.sub("", f"{type(error).__name__}: {first}" if first else type(error).__name__)
