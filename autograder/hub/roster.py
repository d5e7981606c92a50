"""The class on the hub: who may log in, as what, and with which password.

A roster file names one instructor and the students (hub/roster.toml):

    instructor = "instructor"
    students = ["alice", "bob"]

Each name is also the person's Unix account and their nbgrader student id, so it must be a
plain Unix user name (and nbgrader's exchange forbids "+" in it). Passwords never sit in the
roster: each account gets its own random password the first time the hub starts, kept as a
salted scrypt hash for the authenticator and, readable by root only, in plain text for the
person who hands them out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # the parameters Python's docs use; ~50 ms a check


class RosterError(ValueError):
    """The roster cannot be used as written (one line)."""


class Role(StrEnum):
    INSTRUCTOR = "instructor"
    STUDENT = "student"


@dataclass(frozen=True)
class Account:
    name: str
    role: Role


@dataclass(frozen=True)
class Roster:
    instructor: Account
    students: tuple[Account, ...]

    @property
    def accounts(self) -> tuple[Account, ...]:
        return (self.instructor, *self.students)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.accounts)


def check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise RosterError(f"{where}: {name!r} is not a Unix user name (lower-case letters, "
                          "digits, _ and -, starting with a letter or _, at most 32)")
    return name


def parse(data: dict, where: str = "roster") -> Roster:
    unknown = set(data) - {"instructor", "students"}
    if unknown:
        raise RosterError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                          "(expected instructor and students)")
    if "instructor" not in data:
        raise RosterError(f"{where}: no instructor")
    students = data.get("students", [])
    if not isinstance(students, list) or not students:
        raise RosterError(f"{where}: students must be a non-empty list of user names")
    instructor = Account(check_name(data["instructor"], f"{where}: instructor"),
                         Role.INSTRUCTOR)
    accounts = tuple(Account(check_name(s, f"{where}: students"), Role.STUDENT)
                     for s in students)
    names = [instructor.name, *(a.name for a in accounts)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise RosterError(f"{where}: {', '.join(repeated)} listed more than once")
    return Roster(instructor, accounts)


def load(path: Path) -> Roster:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RosterError(f"{path}: no such roster file") from None
    except tomllib.TOMLDecodeError as exc:
        raise RosterError(f"{path}: not valid TOML: {exc}") from None
    return parse(data, str(path))


# --- passwords -----------------------------------------------------------------------------------


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(stored: str, password: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    fresh = hash_password(password, bytes.fromhex(salt)).split("$")[2]
    return hmac.compare_digest(fresh, digest)


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, never readable by others even for an instant."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    tmp.replace(path)


def issue_passwords(roster: Roster, passwords_file: Path, hashes_file: Path) -> dict[str, str]:
    """Each account's password: kept from an earlier start, or new. Writes both files
    (plain text for the operator, hashes for the authenticator), readable by their owner only.
    Accounts no longer on the roster lose theirs."""
    passwords_file, hashes_file = Path(passwords_file), Path(hashes_file)
    known = json.loads(passwords_file.read_text()) if passwords_file.exists() else {}
    passwords = {name: known.get(name) or secrets.token_urlsafe(12) for name in roster.names}
    old_hashes = json.loads(hashes_file.read_text()) if hashes_file.exists() else {}
    hashes = {name: old_hashes[name] if name in known and name in old_hashes
              else hash_password(password) for name, password in passwords.items()}
    write_private(passwords_file, json.dumps(passwords, indent=1) + "\n")
    write_private(hashes_file, json.dumps(hashes, indent=1) + "\n")
    return passwords
