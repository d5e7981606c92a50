"""A file-based model registry: one folder per version, append-only logs, an atomic `current`.

    models/
      index.csv          one row per registered version (appended, never rewritten)
      history.csv        every switch of `current`: promote or rollback (appended)
      current -> v1.1    a relative symlink; a server loads models/current/model.joblib
      v1.0/
        model.joblib     the artifact
        metadata.json    the caller's metadata + version, registration time, artifact sha256
        probe/           golden inputs (autograder.artifacts.handoff format) and, in expected.npy,
        expected.npy     what the model predicted on them when it was registered

A version is never overwritten: `register` claims the folder with `os.mkdir`, which fails if
it exists. `promote` and `rollback` audit the target first (the artifact's sha256 must match
its metadata, then `autograder.check.check_artifact` must load it in a fresh Python process and
reproduce the golden predictions exactly) and touch `current` only if that passes. No
operation raises for a bad version name or a broken candidate: each returns a result (`Audit`,
`Change`) whose `message` is one line.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import uuid
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import joblib
import numpy as np

from autograder.artifacts.handoff import load_inputs, plain_array, save_inputs
from autograder.check import check_artifact
from autograder.common import units
from autograder.common.text import error_line

VERSION_NAME = re.compile(r"v(\d+)\.(\d+)")
ARTIFACT = "model.joblib"
METADATA = "metadata.json"
PROBE = "probe"
EXPECTED = "expected.npy"
CURRENT = "current"
INDEX_COLUMNS = ("version", "registered_at", "model", "accuracy", "artifact_sha256")
HISTORY_COLUMNS = ("at", "action", "version", "previous")


class Action(StrEnum):
    """What a `Change` did (also the `action` column of history.csv)."""

    REGISTER = "register"
    PROMOTE = "promote"
    ROLLBACK = "rollback"


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, read in blocks so a large model never sits in memory whole."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def switch_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` (a name relative to the link's folder) in one atomic step.

    The new link is made under a temporary name and renamed over the old one: rename(2)
    replaces it atomically, so a reader sees the old target or the new one, never no link.
    """
    link = Path(link)
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}.tmp")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def version_key(version: str) -> tuple[int, int]:
    """v1.10 sorts after v1.9."""
    match = VERSION_NAME.fullmatch(version)
    return (int(match[1]), int(match[2])) if match else (-1, -1)


class RecordedOutputs:
    """Stands in for the live model in `check_artifact`: `method` answers with the outputs the
    model gave at registration, so the fresh process must reproduce exactly those."""

    def __init__(self, method: str, outputs: np.ndarray) -> None:
        self.method, self.outputs = method, outputs

    def __getattr__(self, name: str):
        if name == self.__dict__.get("method"):
            return lambda X: self.outputs
        raise AttributeError(name)


@dataclass(frozen=True, kw_only=True)
class Audit:
    """Whether a registered version may be served; `message` says why not."""

    version: str
    ok: bool
    message: str
    load_seconds: float = 0.0

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, kw_only=True)
class Change:
    """The result of register, promote or rollback, and what `current` points to afterwards."""

    action: Action
    ok: bool
    version: str | None
    current: str | None
    previous: str | None
    message: str

    def __str__(self) -> str:
        return self.message


class Registry:
    """The registry rooted at `root` (created on the first registration)."""

    def __init__(self, root: str | os.PathLike, *, timeout: float = 120.0) -> None:
        self.root = Path(root)
        self.timeout = timeout

    @property
    def index_path(self) -> Path:
        return self.root / "index.csv"

    @property
    def history_path(self) -> Path:
        return self.root / "history.csv"

    @property
    def current_link(self) -> Path:
        return self.root / CURRENT

    # --- reading ----------------------------------------------------------------------------

    def versions(self) -> list[str]:
        """Registered versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir()
                 if p.is_dir() and not p.is_symlink() and VERSION_NAME.fullmatch(p.name)]
        return sorted(found, key=version_key)

    def current(self) -> str | None:
        """The version `current` points to, or None before the first promotion."""
        link = self.current_link
        return os.readlink(link) if link.is_symlink() else None

    def metadata(self, version: str) -> dict:
        return json.loads((self.root / version / METADATA).read_text())

    def index(self) -> list[dict[str, str]]:
        return _read_rows(self.index_path)

    def history(self) -> list[dict[str, str]]:
        return _read_rows(self.history_path)

    def next_version(self, major: int | None = None) -> str:
        """The first free minor version (of `major`, by default the latest major)."""
        keys = [version_key(v) for v in self.versions()]
        if major is None:
            major = max((k[0] for k in keys), default=1)
        minors = [minor for m, minor in keys if m == major]
        return f"v{major}.{max(minors) + 1 if minors else 0}"

    # --- registering ------------------------------------------------------------------------

    def register(self, version: str, model, metadata: dict, probe, *,
                 method: str = "predict_proba") -> Change:
        """Save `model` as a new version with its metadata and golden predictions on `probe`."""
        current = self.current()

        def refused(message: str) -> Change:
            return Change(action=Action.REGISTER, ok=False, version=version, current=current,
                          previous=current, message=message)

        if problem := _name_problem(version):
            return refused(problem)
        self.root.mkdir(parents=True, exist_ok=True)
        folder = self.root / version
        try:
            folder.mkdir()  # the atomic claim: fails if the version exists
        except FileExistsError:
            free = self.next_version(version_key(version)[0])
            return refused(f"{version} is already registered and a version is never "
                           f"overwritten (decisions logged under it must stay reproducible): "
                           f"register the new model as {free}.")
        try:
            artifact = folder / ARTIFACT
            joblib.dump(model, artifact)
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                expected = plain_array(getattr(model, method)(probe))
            save_inputs(probe, folder / PROBE)
            np.save(folder / EXPECTED, expected, allow_pickle=False)
            record = {**metadata, "version": version, "registered_at": utc_now(),
                      "artifact": ARTIFACT, "artifact_sha256": file_sha256(artifact),
                      "probe_method": method, "probe_rows": len(probe)}
            (folder / METADATA).write_text(json.dumps(record, indent=2))
        except Exception as exc:  # the half-written folder must not look like a version
            shutil.rmtree(folder, ignore_errors=True)
            return refused(f"{version} was not registered: {error_line(exc)}")
        accuracy = record.get("scores", {}).get("accuracy", "")
        _append_row(self.index_path, INDEX_COLUMNS, {
            "version": version, "registered_at": record["registered_at"],
            "model": record.get("model", type(model).__name__), "accuracy": accuracy,
            "artifact_sha256": record["artifact_sha256"]})
        size = units.size(artifact.stat().st_size)
        return Change(action=Action.REGISTER, ok=True, version=version, current=current,
                      previous=current, message=f"registered {version} ({size}, sha256 "
                                                f"{record['artifact_sha256'][:12]}…)")

    # --- auditing and loading ---------------------------------------------------------------

    def audit(self, version: str, *, fresh: bool = True) -> Audit:
        """The hash check, then (if `fresh`) a fresh process must reproduce the golden outputs.

        The hash is checked first so that a file changed after registration is never loaded.
        """
        def failed(message: str) -> Audit:
            return Audit(version=version, ok=False, message=message)

        if problem := _name_problem(version):
            return failed(problem)
        folder = self.root / version
        if not folder.is_dir() or folder.is_symlink():
            known = ", ".join(self.versions()) or "none yet"
            return failed(f"there is no version {version} in {self.root} (registered: {known}).")
        try:
            meta = self.metadata(version)
            recorded = meta["artifact_sha256"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return failed(f"{version}/{METADATA} is missing or unreadable ({error_line(exc)}).")
        artifact = folder / meta.get("artifact", ARTIFACT)
        if not artifact.is_file():
            return failed(f"{version}/{artifact.name} is missing.")
        actual = file_sha256(artifact)
        if actual != recorded:
            return failed(f"{version}/{artifact.name} has sha256 {actual[:12]}… but its metadata "
                          f"records {recorded[:12]}…: the file changed after registration, so it "
                          f"was not loaded.")
        if not fresh:
            return Audit(version=version, ok=True,
                         message=f"{version}: sha256 matches its metadata.")
        try:
            probe = load_inputs(folder / PROBE)
            expected = np.load(folder / EXPECTED, allow_pickle=False)
        except (OSError, ValueError, KeyError) as exc:
            return failed(f"{version}'s golden probe is missing or unreadable ({error_line(exc)}).")
        method = meta.get("probe_method", "predict")
        result = check_artifact(artifact, RecordedOutputs(method, expected), probe, method=method,
                                timeout=self.timeout)
        if result.ok:
            return Audit(version=version, ok=True, load_seconds=result.load_seconds,
                         message=f"{version} verified: sha256 matches, and a fresh process "
                                 f"loaded it in {units.duration(result.load_seconds)} and "
                                 f"reproduced all {result.n_rows} golden predictions exactly.")
        if not result.loaded:
            return failed(f"{version} fails the fresh-process check: {result.message}")
        if result.n_differ:
            return failed(f"{version} reloads, but differs from its golden predictions on "
                          f"{result.n_differ} of {result.n_rows} rows (max abs difference "
                          f"{units.number(result.max_abs_diff)}).")
        return failed(f"{version} reloads, but does not reproduce its golden predictions: "
                      f"{result.message}")

    def load(self, version: str):
        """Load a version in this process, only after its sha256 matches the metadata."""
        audit = self.audit(version, fresh=False)
        if not audit.ok:
            raise ValueError(audit.message)
        return joblib.load(self.root / version / self.metadata(version).get("artifact", ARTIFACT))

    # --- switching current ------------------------------------------------------------------

    def promote(self, version: str) -> Change:
        """Audit `version`, then switch `current` to it; on any failure `current` is unchanged."""
        return self._switch(Action.PROMOTE, version)

    def rollback(self) -> Change:
        """Switch `current` back to the version it served before the latest promotion."""
        before = self.current()
        stack = self._stack()
        if len(stack) < 2:
            first = f"{stack[0]} is the only version ever promoted" if stack else \
                "nothing has been promoted yet"
            return Change(action=Action.ROLLBACK, ok=False, version=None, current=before,
                          previous=before, message=f"nothing to roll back to: {first}; "
                                                   f"`current` is unchanged.")
        return self._switch(Action.ROLLBACK, stack[-2])

    def _switch(self, action: Action, version: str) -> Change:
        before = self.current()

        def change(ok: bool, current: str | None, message: str) -> Change:
            return Change(action=action, ok=ok, version=version, current=current,
                          previous=before, message=message)

        if before == version:
            return change(True, before, f"{version} is already current; nothing changed.")
        audit = self.audit(version)
        if not audit.ok:
            return change(False, before, f"{action} to {version} refused: {audit.message} "
                                         f"`current` still points to {before or 'nothing'}.")
        switch_symlink(self.current_link, version)
        _append_row(self.history_path, HISTORY_COLUMNS,
                    {"at": utc_now(), "action": action, "version": version,
                     "previous": before or ""})
        return change(True, version, f"{action}: current -> {version} (was "
                                     f"{before or 'nothing'}). {audit.message}")

    def _stack(self) -> list[str]:
        """Versions served, replayed from history: a promotion pushes, a rollback pops."""
        stack: list[str] = []
        for row in self.history():
            if row["action"] == Action.ROLLBACK and stack:
                stack.pop()
            elif row["action"] == Action.PROMOTE:
                stack.append(row["version"])
        return stack


def _name_problem(version: object) -> str | None:
    if isinstance(version, str) and VERSION_NAME.fullmatch(version):
        return None
    return f"{version!r} is not a version name: use vMAJOR.MINOR, for example 'v1.2'."


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _append_row(path: Path, columns: tuple[str, ...], row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        if new:
            writer.writeheader()
        writer.writerow(row)
