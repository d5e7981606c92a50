"""Everything the hub, its config and the grading service need to know, in one JSON file.

`autograder hub start` writes HUB_DIR/settings.json (no secrets: readable by the grading
service, which runs as the instructor); the hub's config file and the service read it back.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.common.paths import ROOT

SETTINGS = "settings.json"
DEFAULT_DIR = ROOT / ".hub"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "grader"


@dataclass(frozen=True)
class HubSettings:
    hub_dir: str
    course_id: str
    instructor: str
    students: tuple[str, ...]
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    concurrency: int = 2  # submissions graded at the same moment (the grader's workers)
    batch: int = 8  # at most this many waiting submissions of one assignment per grader run
    poll_seconds: float = 0.5  # how often the service looks at the exchange's inbound folder
    prefix: str = sys.prefix  # the course environment every server and the service run in
    proxy: str = str(PROXY)
    extra_config: str = ""  # a jupyterhub_config.py of the department's, read after ours

    # --- where things are (all under hub_dir) ---
    @property
    def dir(self) -> Path:
        return Path(self.hub_dir)

    @property
    def homes(self) -> Path:
        return self.dir / "homes"

    def home(self, name: str) -> Path:
        return self.homes / name

    @property
    def exchange(self) -> Path:
        return self.dir / "exchange"

    @property
    def course_dir(self) -> Path:
        """The instructor's nbgrader course directory (formgrader, gradebook, feedback)."""
        return self.home(self.instructor) / "course"

    @property
    def service_dir(self) -> Path:
        """The grading service's journal, owned by the instructor."""
        return self.dir / SERVICE

    @property
    def jupyter_config(self) -> Path:
        """Per-role Jupyter config folders (root-owned, on each server's JUPYTER_CONFIG_PATH)."""
        return self.dir / "jupyter"

    @property
    def hashes_file(self) -> Path:
        return self.dir / "password-hashes.json"

    @property
    def passwords_file(self) -> Path:
        return self.dir / "passwords.json"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}/"

    @property
    def bin(self) -> Path:
        return Path(self.prefix) / "bin"

    def save(self) -> Path:
        path = self.dir / SETTINGS
        data = asdict(self)
        data["students"] = list(self.students)
        path.write_text(json.dumps(data, indent=1) + "\n")
        path.chmod(0o644)
        return path

    @classmethod
    def load(cls, hub_dir: Path | str) -> HubSettings:
        data = json.loads((Path(hub_dir) / SETTINGS).read_text())
        data["students"] = tuple(data["students"])
        return cls(**data)
