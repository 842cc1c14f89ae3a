""" "A server is using this database": a lock the portal server holds for its whole life, and `restore` checks.

SQLite: an `flock` on `<db>.serve.lock`, beside the database. PostgreSQL: a session-level advisory lock, held by
one dedicated connection, so it is seen from every machine that reaches the database (a lock file on the web
host says nothing to an operator restoring from another). Both are released by the kernel or the database when
the process dies, even by SIGKILL, so a crashed server never leaves a stale "running" behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from lynx_cortex.errors import LynxError


class ServerRunningError(LynxError):
    """Another process holds the serve lock."""


#: The advisory lock is (class, key): a constant "LYNX" class and a hash of the schema, so two portals in two
#: schemas of one database (the test suite does this) do not see each other as running.
LOCK_CLASS = 0x4C594E58
_LOCK_KEY = "hashtext('lynx-portal-serve:' || current_schema())"


def _sqlite_file(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServerRunningError(
                f"another portal server is already serving this database ({path})"
            ) from None
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _pg_connect(database_url: str) -> tuple[Any, Connection]:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        return engine, engine.connect()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise LynxError(f"cannot reach the database to check its server lock: {exc}") from None


def _pg_try_lock(conn: Connection) -> bool:
    query = text(f"SELECT pg_try_advisory_lock(:cls, {_LOCK_KEY})")  # noqa: S608  # constant SQL
    return bool(conn.execute(query, {"cls": LOCK_CLASS}).scalar_one())


@contextmanager
def serve_lock(database_url: str) -> Iterator[None]:
    """Held by a serving portal for its lifetime; a second server on the same database is refused."""
    path = _sqlite_file(database_url)
    if path is not None:
        with _file_lock(path.with_name(path.name + ".serve.lock")):
            yield
        return
    if make_url(database_url).get_backend_name() == "sqlite":  # in memory: nothing to share
        yield
        return
    engine, conn = _pg_connect(database_url)
    try:
        if not _pg_try_lock(conn):
            raise ServerRunningError("another portal server is already serving this database")
        conn.commit()  # the session-level lock outlives the transaction
        yield
    finally:
        conn.close()  # the session ends, and with it the lock
        engine.dispose()


def server_running(database_url: str) -> bool:
    """Whether some process holds the serve lock of this database right now."""
    path = _sqlite_file(database_url)
    if path is not None:
        lock = path.with_name(path.name + ".serve.lock")
        if not lock.exists():
            return False
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError as exc:
            raise LynxError(
                f"cannot check whether a server is running ({lock}): {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    if make_url(database_url).get_backend_name() == "sqlite":
        return False
    engine, conn = _pg_connect(database_url)
    try:
        free = _pg_try_lock(conn)
        if free:
            conn.execute(
                text(f"SELECT pg_advisory_unlock(:cls, {_LOCK_KEY})"),  # noqa: S608  # constant SQL
                {"cls": LOCK_CLASS},
            )
        conn.commit()
        return not free
    finally:
        conn.close()
        engine.dispose()
