"""The portal's tables (SQLAlchemy Core) and the engine, tuned for SQLite WAL or PostgreSQL.

The database holds learner state only; curriculum text stays in `docs/`. Times are naive UTC everywhere so that
SQLite (which has no time zones) and PostgreSQL return the same values. Password hashes and audit details are
stored sealed by `minivault` (LargeBinary columns), never in the clear.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url

ROLES = ("student", "teacher", "admin")
LOCALES = ("en", "es")
STATUSES = ("not_started", "in_progress", "done")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# An id type that is BIGINT on PostgreSQL and INTEGER (the rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _user_fk(ondelete: str = "CASCADE") -> ForeignKey:
    return ForeignKey("users.id", ondelete=ondelete)


users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("display_name", String(80), nullable=False),
    Column("role", String(16), nullable=False),
    Column("locale", String(2), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
    Column("disabled_at", DateTime),
    CheckConstraint(f"role IN {ROLES!r}", name="role"),
    CheckConstraint(f"locale IN {LOCALES!r}", name="locale"),
)

credentials = Table(
    "credentials",
    metadata,
    Column("user_id", Id, _user_fk(), primary_key=True),
    Column(
        "password_hash", LargeBinary, nullable=False
    ),  # sealed: AD = credentials, password_hash, user id
    Column("updated_at", DateTime, nullable=False),
)

invites = Table(
    "invites",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, _user_fk(), nullable=False, index=True),
    Column("nonce_hash", String(64), nullable=False, unique=True),
    Column("created_by", Id, _user_fk("SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the bearer token, never the token
    Column("user_id", Id, _user_fk(), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("absolute_expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("ip", String(64)),
    Column("user_agent", String(256)),
)

progress = Table(
    "progress",
    metadata,
    Column("user_id", Id, _user_fk(), primary_key=True),
    Column("phase", SmallInteger, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("phase BETWEEN 0 AND 41", name="phase"),
    CheckConstraint(f"status IN {STATUSES!r}", name="status"),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, _user_fk(), nullable=False),
    Column("page", String(64), nullable=False),
    Column("anchor", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_notes_user_id_page", "user_id", "page"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, _user_fk(), nullable=False),
    Column("day", Date, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_journal_entries_user_id_day", "user_id", "day"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor_id", Id, _user_fk("SET NULL"), index=True),
    Column("event", String(48), nullable=False),
    Column("ip", String(64)),
    Column("details", LargeBinary, nullable=False),  # sealed: AD = audit_log, details, row id
)

#: Every sealed column: (table, column, primary-key column). Key rotation walks exactly this list.
SEALED_COLUMNS: tuple[tuple[Table, str, str], ...] = (
    (credentials, "password_hash", "user_id"),
    (audit_log, "details", "id"),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # owner-only from birth; SQLite gives -wal/-shm the same mode
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
