"""The course's command line run as a user runs it: `python -m autograder ARGS...`."""

import subprocess
import sys


def command(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)
