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
    Boolean,
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
    UniqueConstraint,
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
    # the learner an event is about (a teacher's read of their notes, say), in the clear so that the learner's
    # own profile finds "who read my data" with one indexed query and nothing to decrypt (0003)
    Column("subject_id", Id, _user_fk("SET NULL")),
    Index("ix_audit_log_subject_id_at", "subject_id", "at"),
)

# ------------------------------------------------------------------ part 2: quizzes, exams, review (0002)

SOURCES = ("quiz", "exam")
SCHEDULERS = ("sm2", "fsrs")
BUTTONS = ("again", "hard", "good", "easy")

cohort_settings = Table(
    "cohort_settings",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(64), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, _user_fk(), nullable=False),
    Column("source", String(8), nullable=False),  # quiz | exam
    Column("ref", String(64), nullable=False),  # the phase code ("07") or the exam slug
    Column("phase", SmallInteger),  # set for quizzes only
    Column("correct", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("submitted_at", DateTime, nullable=False),
    CheckConstraint(f"source IN {SOURCES!r}", name="source"),
    CheckConstraint("correct >= 0 AND correct <= total", name="score"),
    Index("ix_attempts_user_id_source_ref", "user_id", "source", "ref"),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("attempt_id", Id, ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, _user_fk(), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("first_try", Boolean, nullable=False),  # the learner's first answer to this item, ever
    Index("ix_answers_attempt_id", "attempt_id"),
    Index("ix_answers_user_id_item_id", "user_id", "item_id"),
    Index("ix_answers_item_id_first_try", "item_id", "first_try"),
    # covers the dashboard's "hardest items" (first tries only, grouped by item, counting the right ones):
    # SQLite answers it from the index alone, a quarter of the time of the table scan at 50 x 42 (0003)
    Index("ix_answers_first_try_item_id_correct", "first_try", "item_id", "correct"),
)

review_cards = Table(
    "review_cards",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, _user_fk(), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("scheduler", String(8), nullable=False),
    Column("state", Text, nullable=False),  # the scheduler's JSON state
    Column("due_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_reviewed_at", DateTime),
    Column("reviews", Integer, nullable=False),
    Column("lapses", Integer, nullable=False),
    Column("retired_at", DateTime),
    CheckConstraint(f"scheduler IN {SCHEDULERS!r}", name="scheduler"),
    UniqueConstraint("user_id", "item_id"),
    Index("ix_review_cards_user_id_due_at", "user_id", "due_at"),
)

review_log = Table(
    "review_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("card_id", Id, ForeignKey("review_cards.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, _user_fk(), nullable=False),
    Column("button", String(8), nullable=False),
    Column("reviewed_at", DateTime, nullable=False),
    Column("due_before", DateTime, nullable=False),
    Column("due_after", DateTime, nullable=False),
    CheckConstraint(f"button IN {BUTTONS!r}", name="button"),
    Index("ix_review_log_user_id_reviewed_at", "user_id", "reviewed_at"),
    Index("ix_review_log_card_id", "card_id"),
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
