"""Your self-study progress: every graded lesson with its last score, when, and what is left.

    autograder progress          a table, in course order
    autograder progress --json   the same as one JSON object

Scores come from `autograder score`, kept in progress.json in the self-study folder
(~/.local/share/autograder, or $AUTOGRADER_SELF_STUDY).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

HELP = "list every graded lesson with your last self-study score and what is left"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args) -> int:
    from autograder.grading import progress, report

    if args.json:
        print(json.dumps({"progress": str(progress.path()), "lessons": [
            {"lesson": lesson.id, "title": lesson.title, "points": lesson.points,
             "attempt": asdict(attempt) if attempt else None,
             "left": progress.left_to_do(attempt)}
            for lesson, attempt in progress.lessons()]}))
        return 0
    rows = progress.rows()
    header = ["lesson", "title", "score", "date", "left"]
    print(report.table(rows, header))
    done = sum(row[4] == progress.FULL_MARKS for row in rows)
    print(f"\n{done} of {len(rows)} lessons at full marks. Scores from `autograder score`, "
          f"kept in {progress.path()}.")
    return 0
