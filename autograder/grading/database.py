"""The course's gradebook as a database: SQLite by default, or any server nbgrader's `db_url`
takes (PostgreSQL for a course graded on many machines).

- `lock(url, course_id, assignment)`: one writer at a time per assignment across grade runs.
  Two runs that grade the same submission at once then write one row, never two, and neither
  half-overwrites the other. PostgreSQL holds an advisory lock on a connection of its own;
  SQLite serializes writers by itself.
- `check(url)`: raises GradebookUnavailable, one line, when the server does not answer.
- `shown(url)`: the URL without its password, for messages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

CONNECT_TIMEOUT = 10  # seconds


class GradebookUnavailable(Exception):
    """The gradebook's server does not answer (one line)."""


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    args = {} if is_sqlite(url) else {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(url, poolclass=NullPool, connect_args=args)


def check(url: str) -> None:
    """Raise GradebookUnavailable unless the gradebook's database answers now."""
    from sqlalchemy import text

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        from autograder.common.text import first_line

        raise GradebookUnavailable(f"the gradebook at {shown(url)} does not answer: "
                                   f"{first_line(getattr(exc, 'orig', exc) or exc)}") from None
    finally:
        engine.dispose()


def lock_key(*parts: str) -> int:
    """A signed 64-bit number for pg_advisory_lock, the same in every process."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def lock(url: str, course_id: str, assignment: str) -> Iterator[None]:
    """Hold the assignment's write lock in the gradebook's server while the block runs."""
    if is_sqlite(url):
        yield
        return
    from sqlalchemy import text

    key = lock_key(course_id, assignment)
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            conn.commit()
            try:
                yield
            finally:  # a server that went away has released it already
                with suppress(Exception):
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
    finally:
        engine.dispose()
