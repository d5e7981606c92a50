"""`python -m autograder COMMAND ...`: the same as the `autograder` command (see autograder.cli)."""

import sys

from autograder.cli import main

sys.exit(main())
