"""Quizzes, exams and spaced repetition: cohort settings, attempts, answers, review cards and their log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _user_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{name}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "cohort_settings",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_cohort_settings"),
    )
    op.create_table(
        "attempts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("phase", sa.SmallInteger),
        sa.Column("correct", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("source IN ('quiz', 'exam')", name="ck_attempts_source"),
        sa.CheckConstraint("correct >= 0 AND correct <= total", name="ck_attempts_score"),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        _user_fk("attempts"),
    )
    op.create_index("ix_attempts_user_id_source_ref", "attempts", ["user_id", "source", "ref"])
    op.create_table(
        "answers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("attempt_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("first_try", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name="fk_answers_attempt_id_attempts",
            ondelete="CASCADE",
        ),
        _user_fk("answers"),
    )
    op.create_index("ix_answers_attempt_id", "answers", ["attempt_id"])
    op.create_index("ix_answers_user_id_item_id", "answers", ["user_id", "item_id"])
    op.create_index("ix_answers_item_id_first_try", "answers", ["item_id", "first_try"])
    op.create_table(
        "review_cards",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("scheduler", sa.String(8), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_reviewed_at", sa.DateTime),
        sa.Column("reviews", sa.Integer, nullable=False),
        sa.Column("lapses", sa.Integer, nullable=False),
        sa.Column("retired_at", sa.DateTime),
        sa.CheckConstraint("scheduler IN ('sm2', 'fsrs')", name="ck_review_cards_scheduler"),
        sa.PrimaryKeyConstraint("id", name="pk_review_cards"),
        sa.UniqueConstraint("user_id", "item_id", name="uq_review_cards_user_id_item_id"),
        _user_fk("review_cards"),
    )
    op.create_index("ix_review_cards_user_id_due_at", "review_cards", ["user_id", "due_at"])
    op.create_table(
        "review_log",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("card_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("button", sa.String(8), nullable=False),
        sa.Column("reviewed_at", sa.DateTime, nullable=False),
        sa.Column("due_before", sa.DateTime, nullable=False),
        sa.Column("due_after", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "button IN ('again', 'hard', 'good', 'easy')", name="ck_review_log_button"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_review_log"),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["review_cards.id"],
            name="fk_review_log_card_id_review_cards",
            ondelete="CASCADE",
        ),
        _user_fk("review_log"),
    )
    op.create_index("ix_review_log_user_id_reviewed_at", "review_log", ["user_id", "reviewed_at"])
    op.create_index("ix_review_log_card_id", "review_log", ["card_id"])


def downgrade() -> None:
    for table in ("review_log", "review_cards", "answers", "attempts", "cohort_settings"):
        op.drop_table(table)
