"""The audit log: who did what, when, from where; the details are sealed by the vault.

Rows are only ever inserted. The details are sealed with the row id in the associated data, so the row is inserted
first and its details filled in within the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from miniportal.db import audit_log, users
from miniportal.service import Portal
from minivault import VaultError

EVENTS = frozenset(
    {
        "login.success",
        "login.failure",
        "login.rate_limited",
        "logout",
        "invite.created",
        "invite.redeemed",
        "invite.rejected",
        "password.changed",
        "user.created",
        "user.disabled",
        "user.updated",
        "key.rotated",
        "cohort.scheduler",
        # a staff member read a learner's private writing (READS below)
        "learner.notes_read",
        "learner.journal_read",
    }
)

#: The events a learner sees on their own profile: a staff member read what the learner wrote for themselves.
READS = ("learner.notes_read", "learner.journal_read")


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str | None
    event: str
    ip: str | None
    details: dict[str, Any]


def record(
    portal: Portal,
    conn: Connection,
    event: str,
    *,
    actor_id: int | None = None,
    ip: str | None = None,
    subject_id: int | None = None,
    **details: Any,
) -> int:
    """Append one event (inside the caller's transaction); unknown event names are a bug. `subject_id` is the
    learner the event is about, when there is one."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    row_id = conn.execute(
        insert(audit_log)
        .values(
            at=portal.now(),
            actor_id=actor_id,
            event=event,
            ip=ip,
            details=b"",
            subject_id=subject_id,
        )
        .returning(audit_log.c.id)
    ).scalar_one()
    sealed = portal.cipher.encrypt_text(
        json.dumps(details, sort_keys=True, default=str),
        table="audit_log",
        column="details",
        row_id=row_id,
    )
    conn.execute(update(audit_log).where(audit_log.c.id == row_id).values(details=sealed))
    return int(row_id)


def recent(portal: Portal, conn: Connection, *, limit: int = 100) -> list[AuditRow]:
    rows = conn.execute(
        select(audit_log, users.c.username)
        .select_from(audit_log.outerjoin(users, users.c.id == audit_log.c.actor_id))
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    ).all()
    result = []
    for row in rows:
        try:
            details = json.loads(
                portal.cipher.decrypt_text(
                    row.details, table="audit_log", column="details", row_id=row.id
                )
            )
        except VaultError as exc:
            details = {"error": str(exc)}
        result.append(AuditRow(row.id, row.at, row.username, row.event, row.ip, details))
    return result


@dataclass(frozen=True)
class Read:
    """One staff read of a learner's notes or journal, as the learner sees it (no IP: that is the staff's)."""

    at: datetime
    reader: str | None  # username; None once the reader's account is deleted
    reader_name: str | None
    reader_role: str | None
    event: str


def reads_of(conn: Connection, subject_id: int, *, limit: int = 50) -> list[Read]:
    """Who read this learner's private writing, newest first: one indexed query, nothing to decrypt."""
    rows = conn.execute(
        select(
            audit_log.c.at, users.c.username, users.c.display_name, users.c.role, audit_log.c.event
        )
        .select_from(audit_log.outerjoin(users, users.c.id == audit_log.c.actor_id))
        .where(audit_log.c.subject_id == subject_id, audit_log.c.event.in_(READS))
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit)
    ).all()
    return [Read(*row) for row in rows]
