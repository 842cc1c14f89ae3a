"""The learner-state schema: users, credentials, invites, sessions, progress, notes, journal, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _user_fk(name: str, column: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=f"fk_{name}_{column}_users", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_login_at", sa.DateTime),
        sa.Column("disabled_at", sa.DateTime),
        sa.CheckConstraint("role IN ('student', 'teacher', 'admin')", name="ck_users_role"),
        sa.CheckConstraint("locale IN ('en', 'es')", name="ck_users_locale"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "credentials",
        sa.Column("user_id", Id, nullable=False),
        sa.Column("password_hash", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_credentials"),
        _user_fk("credentials", "user_id"),
    )
    op.create_table(
        "invites",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("created_by", Id),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
        sa.PrimaryKeyConstraint("id", name="pk_invites"),
        sa.UniqueConstraint("nonce_hash", name="uq_invites_nonce_hash"),
        _user_fk("invites", "user_id"),
        _user_fk("invites", "created_by", "SET NULL"),
    )
    op.create_index("ix_invites_user_id", "invites", ["user_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("absolute_expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(256)),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        _user_fk("sessions", "user_id"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "progress",
        sa.Column("user_id", Id, nullable=False),
        sa.Column("phase", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("phase BETWEEN 0 AND 41", name="ck_progress_phase"),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'done')", name="ck_progress_status"
        ),
        sa.PrimaryKeyConstraint("user_id", "phase", name="pk_progress"),
        _user_fk("progress", "user_id"),
    )
    op.create_table(
        "notes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("page", sa.String(64), nullable=False),
        sa.Column("anchor", sa.String(128), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        _user_fk("notes", "user_id"),
    )
    op.create_index("ix_notes_user_id_page", "notes", ["user_id", "page"])
    op.create_table(
        "journal_entries",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journal_entries"),
        _user_fk("journal_entries", "user_id"),
    )
    op.create_index("ix_journal_entries_user_id_day", "journal_entries", ["user_id", "day"])
    op.create_table(
        "audit_log",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor_id", Id),
        sa.Column("event", sa.String(48), nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("details", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        _user_fk("audit_log", "actor_id", "SET NULL"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor_id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "journal_entries",
        "notes",
        "progress",
        "sessions",
        "invites",
        "credentials",
        "users",
    ):
        op.drop_table(table)
