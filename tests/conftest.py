"""Run the tests with the course environment's own tools, however pytest was started."""

import os
import sys
from pathlib import Path

# Like the Makefile: the venv's python3 kernel wins over any user-level kernelspec, and
# nbgrader finds `alembic` and friends on PATH.
ENV = Path(sys.prefix)
os.environ["JUPYTER_PATH"] = str(ENV / "share" / "jupyter")
os.environ["PATH"] = f"{ENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"

# The project's own servers (PostgreSQL, a Dask cluster) as fixtures, for every test module.
from cluster_services import dask_scheduler, gradebook_url, postgres_server  # noqa: E402, F401
