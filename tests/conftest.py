"""Run the tests with the course environment's own tools, however pytest was started."""

import os

from autograder.common.paths import venv_environment

# Like the Makefile: the venv's python3 kernel wins over any user-level kernelspec of the same
# name, and nbgrader finds `alembic` and friends on PATH.
os.environ.update(venv_environment())
