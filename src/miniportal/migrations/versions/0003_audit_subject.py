"""The audit log names the learner an event is about, so teachers' reads of a learner's data are visible to them;
and a covering index for the dashboard's hardest-items panel.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key with ALTER TABLE, so it rebuilds the table; PostgreSQL alters
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("subject_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_audit_log_subject_id_users", "users", ["subject_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_audit_log_subject_id_at", ["subject_id", "at"])
    op.create_index(
        "ix_answers_first_try_item_id_correct", "answers", ["first_try", "item_id", "correct"]
    )


def downgrade() -> None:
    op.drop_index("ix_answers_first_try_item_id_correct", table_name="answers")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_subject_id_at")
        batch.drop_constraint("fk_audit_log_subject_id_users", type_="foreignkey")
        batch.drop_column("subject_id")
