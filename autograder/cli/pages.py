"""Regenerate the course's reference pages in docs/ from their data (`make pages`).

    autograder pages            rewrite docs/formats.md, claims.md, errors.md, glossary.md,
                                reading.md
    autograder pages --check    change nothing; exit 1 if a page differs from its data or a
                                link into a lesson opens no heading (each problem on one line)

The figures come from docs/benchmarks.json (`autograder bench` writes it), the errors from the
mistakes catalogue, the rest from TOML files in autograder/pages/.
"""

from __future__ import annotations

import argparse

HELP = "regenerate docs/ (format guide, claims ledger, error atlas, glossary, reading)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="change nothing: list pages that drifted and broken lesson links")


def run(args) -> int:
    from autograder import pages
    from autograder.pages import links

    if args.check:
        problems = pages.drift()
        for name in pages.PAGES:
            problems += links.broken(pages.render(name), f"docs/{name}")
        for problem in problems:
            print(problem)
        print(f"pages: {len(problems)} problem(s)" if problems else "pages: in step")
        return 1 if problems else 0
    written = pages.write_all()
    print(f"pages: wrote {', '.join(f'docs/{p.name}' for p in written)}")
    return 0
