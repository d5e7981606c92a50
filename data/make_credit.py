"""Write data/credit.csv from autograder.course.credit.generate(), or --check that it is up to date.

python data/make_credit.py          # (re)write data/credit.csv
python data/make_credit.py --check  # exit 1 if the committed CSV differs from generate()
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # works without `pip install -e .` too

from autograder.course.credit import DATA_PATH, generate  # noqa: E402


def render() -> bytes:
    """The exact bytes of credit.csv: default generate(), no index, LF line endings."""
    return generate().to_csv(index=False, lineterminator="\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the committed CSV with generate() instead of writing it",
    )
    args = parser.parse_args(argv)

    expected = render()
    sha = hashlib.sha256(expected).hexdigest()
    rel = DATA_PATH.relative_to(ROOT)
    if args.check:
        if not DATA_PATH.is_file() or DATA_PATH.read_bytes() != expected:
            print(
                f"{rel} differs from generate() (expected sha256: {sha}); "
                "run `python data/make_credit.py`",
                file=sys.stderr,
            )
            return 1
        print(f"{rel} is up to date, sha256: {sha}")
        return 0
    DATA_PATH.write_bytes(expected)
    print(f"wrote {rel} ({len(expected):,} bytes), sha256: {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
