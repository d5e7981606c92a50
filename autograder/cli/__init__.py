"""`autograder` (also `python -m autograder`): the course's one command line.

Each subcommand is a module of this package with `HELP` (its one-line summary),
`add_arguments(parser)` and `run(args) -> int` (the exit code). Adding a command is adding a
module and its name to `COMMANDS`; modules import what they need inside `run`, so `--help` and
a quick `inspect` stay fast.

Errors are one line on stdout, `autograder: error: ...`, with exit code 2; with `--json`, one
JSON object `{"error": ..., "exit_code": 2}`, the same line without the prefix. There is never
a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from autograder.common.imports import skip_iri_grammars

COMMANDS = ("inspect", "verify", "grade", "score", "progress", "export", "lessons", "samples",
            "bench", "hub", "pages", "cluster")


class UsageError(Exception):
    """The command line cannot be carried out as given (one line)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of argparse's usage block
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="autograder", description=__doc__.split("\n\n")[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        sub = commands.add_parser(name, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    skip_iri_grammars()
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except UsageError as exc:
        message = f"autograder: error: {exc} (see autograder --help)"
        error = str(exc)
    except Exception as exc:  # never a traceback: one line, exit 2
        from autograder.common.text import error_line

        error = error_line(exc)
        message = f"autograder: error: {error}"
    print(json.dumps({"error": error, "exit_code": 2}) if as_json else message)
    return 2
