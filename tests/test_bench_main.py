"""`autograder bench`: its arguments. (What the suite does with them, with stand-in sections:
tests/test_bench_suite.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_bad_arguments_exit_2_with_one_line(tmp_path):
    autograder = Path(sys.executable).with_name("autograder")  # the console script
    done = subprocess.run([autograder, "bench", "--only", "nothing"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout.count("\n") == 1
    assert "unknown section 'nothing': choose from grading, artifacts" in done.stdout
