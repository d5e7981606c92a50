"""A tripwire: what grading must never change, fingerprinted before the jobs and after.

The sandbox should make this impossible (student code cannot even see these paths), and where
the OS refuses a sandbox this is what still notices: the main gradebook, the imported
submissions, the source notebooks and the released ones. Checked after every job has ended
and before anything is merged, so a change is reported instead of being graded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fingerprint:
    files: dict[str, str]  # path -> sha256 ("" for a folder)

    @classmethod
    def of(cls, paths: list[Path], skip: tuple[str, ...] = ()) -> Fingerprint:
        files = {}
        for root in paths:
            root = Path(root)
            items = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
            for path in items:
                if any(part in skip for part in path.relative_to(root.parent).parts):
                    continue
                files[str(path)] = _digest(path) if path.is_file() else ""
        return cls(files)

    def changes(self, later: Fingerprint) -> list[str]:
        out = [f"{p}: deleted" for p in self.files if p not in later.files]
        out += [f"{p}: created" for p in later.files if p not in self.files]
        out += [f"{p}: modified" for p, d in self.files.items()
                if p in later.files and later.files[p] != d]
        return sorted(out)


def _digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
