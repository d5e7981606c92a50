"""`python -m autograder inspect|verify ...` (see autograder.cli)."""

import sys

from autograder.cli import main

sys.exit(main())
