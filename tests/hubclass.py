"""The class every hub test shares (tests/conftest.py starts one hub for all of them): its
account names, and why the hub tests cannot run here, if they cannot."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from autograder.hub.settings import PROXY
from bench.hub import ASSIGNMENT, unique_prefix

CI = os.environ.get("CI", "").lower() == "true"
# The load test's class: more than one grader run's batch (BATCH), so submissions queue while a
# run grades, and two students who submit twice. `make bench` measures a class of thirty.
LOAD_STUDENTS = 6
# The browser test's assignment: the tiny one under its own name, released from formgrader by
# the instructor (the service tests release ASSIGNMENT themselves). The UI flow is what it
# tests; grading a real lesson is tests/test_grading_*.py's.
BROWSER_ASSIGNMENT = "tiny-lab"
ASSIGNMENTS = (ASSIGNMENT, BROWSER_ASSIGNMENT)
BATCH = 4
RESUBMIT_EVERY = 3


@dataclass(frozen=True)
class Names:
    prefix: str

    @property
    def instructor(self) -> str:
        return f"{self.prefix}-teach"

    @property
    def browser(self) -> tuple[str, str]:
        return f"{self.prefix}-ann", f"{self.prefix}-ben"

    @property
    def fault(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}-f{i}" for i in range(1, 4))

    @property
    def load(self) -> list[str]:
        return [f"{self.prefix}-l{i:02d}" for i in range(1, LOAD_STUDENTS + 1)]

    @property
    def students(self) -> list[str]:
        return [*self.browser, *self.fault, *self.load]


NAMES = Names(unique_prefix())


def missing_hub() -> str | None:
    """Why a real hub cannot be started here (one line), or None."""
    if os.geteuid() != 0:
        return "the hub creates Unix accounts: run the hub tests as root"
    for tool in ("useradd", "setfacl"):
        if shutil.which(tool) is None:
            return f"{tool} not found (`make install-test` installs Debian's acl package)"
    if not PROXY.exists():
        return f"{PROXY} not found: run `make install` (npm ci)"
    return None
