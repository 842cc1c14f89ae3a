"""A learner's own state: per-phase progress, notes anchored to paragraphs, and a daily journal.

Every query is scoped by the owner's id, so asking for another learner's note finds nothing and answers 404:
the portal never confirms that someone else's data exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from miniportal.controls import find_control
from miniportal.db import STATUSES, journal_entries, notes, progress
from miniportal.errors import NotFoundError, PortalError
from miniportal.service import Portal

MAX_NOTE_CHARS = 32 * 1024
MAX_JOURNAL_CHARS = 32 * 1024
PAGE = re.compile(r"^/phases/\d{2}$")
ANCHOR = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


def check_body(body: str, *, field: str = "body", limit: int = MAX_NOTE_CHARS) -> str:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise PortalError(f"{field} must not be empty")
    if len(text) > limit:
        raise PortalError(f"{field} is too long ({len(text)} characters; the limit is {limit})")
    if (where := find_control(text, multiline=True)) is not None:
        raise PortalError(f"{field} must not contain control characters: {where}")
    return text


# ----------------------------------------------------------------------------------------------- progress


def set_status(portal: Portal, conn: Connection, user_id: int, phase: int, status: str) -> None:
    if status not in STATUSES:
        raise PortalError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if not 0 <= phase <= 41:
        raise NotFoundError(f"there is no phase {phase}")
    values = {"status": status, "updated_at": portal.now()}
    where = (progress.c.user_id == user_id, progress.c.phase == phase)
    if conn.execute(update(progress).where(*where).values(**values)).rowcount == 0:
        conn.execute(insert(progress).values(user_id=user_id, phase=phase, **values))


# Hot statements (every page view) built once: SQLAlchemy caches their compiled SQL either way, but building
# the expression tree anew costs more than running the query on SQLite.
_STATUSES = select(progress.c.phase, progress.c.status).where(
    progress.c.user_id == bindparam("user_id")
)


def statuses(conn: Connection, user_id: int) -> dict[int, str]:
    rows = conn.execute(_STATUSES, {"user_id": user_id}).all()
    return {int(phase): status for phase, status in rows}


def cohort_statuses(conn: Connection) -> dict[int, dict[int, str]]:
    """user id -> phase -> status for everyone, in one query (the admin page)."""
    result: dict[int, dict[int, str]] = {}
    for user_id, phase, status in conn.execute(
        select(progress.c.user_id, progress.c.phase, progress.c.status)
    ).all():
        result.setdefault(int(user_id), {})[int(phase)] = status
    return result


# -------------------------------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class Note:
    id: int
    page: str
    anchor: str
    body: str
    created_at: datetime
    updated_at: datetime


def _note(row: object) -> Note:
    return Note(
        int(row.id),  # type: ignore[attr-defined]
        row.page,  # type: ignore[attr-defined]
        row.anchor,  # type: ignore[attr-defined]
        row.body,  # type: ignore[attr-defined]
        row.created_at,  # type: ignore[attr-defined]
        row.updated_at,  # type: ignore[attr-defined]
    )


def add_note(
    portal: Portal, conn: Connection, user_id: int, page: str, anchor: str, body: str
) -> int:
    if not PAGE.fullmatch(page):
        raise PortalError(f"page must look like /phases/07, got {page[:80]!r}")
    if not ANCHOR.fullmatch(anchor):
        raise PortalError("anchor must be a paragraph anchor such as 'what-you-build-p2'")
    now = portal.now()
    note_id = conn.execute(
        insert(notes)
        .values(
            user_id=user_id,
            page=page,
            anchor=anchor,
            body=check_body(body),
            created_at=now,
            updated_at=now,
        )
        .returning(notes.c.id)
    ).scalar_one()
    return int(note_id)


def get_note(conn: Connection, user_id: int, note_id: int) -> Note:
    row = conn.execute(
        select(notes).where(notes.c.id == note_id, notes.c.user_id == user_id)
    ).first()
    if row is None:
        raise NotFoundError("no such note")
    return _note(row)


def edit_note(portal: Portal, conn: Connection, user_id: int, note_id: int, body: str) -> Note:
    text = check_body(body)
    done = conn.execute(
        update(notes)
        .where(notes.c.id == note_id, notes.c.user_id == user_id)
        .values(body=text, updated_at=portal.now())
    )
    if done.rowcount != 1:
        raise NotFoundError("no such note")
    return get_note(conn, user_id, note_id)


def delete_note(conn: Connection, user_id: int, note_id: int) -> Note:
    note = get_note(conn, user_id, note_id)
    conn.execute(delete(notes).where(notes.c.id == note_id, notes.c.user_id == user_id))
    return note


_MY_NOTES = select(notes).where(notes.c.user_id == bindparam("user_id"))
_NOTES_IN_ORDER = _MY_NOTES.order_by(notes.c.page, notes.c.id)
_NOTES_ON_PAGE = _MY_NOTES.where(notes.c.page == bindparam("page")).order_by(notes.c.id)


def notes_for(conn: Connection, user_id: int, page: str | None = None) -> list[Note]:
    if page is None:
        rows = conn.execute(_NOTES_IN_ORDER, {"user_id": user_id}).all()
    else:
        rows = conn.execute(_NOTES_ON_PAGE, {"user_id": user_id, "page": page}).all()
    return [_note(row) for row in rows]


# ------------------------------------------------------------------------------------------------ journal


@dataclass(frozen=True)
class Entry:
    id: int
    day: date
    body: str
    created_at: datetime


def add_entry(portal: Portal, conn: Connection, user_id: int, day: date, body: str) -> int:
    """Append to the day's page; a day is a list of timestamped appends, never an overwrite."""
    entry_id = conn.execute(
        insert(journal_entries)
        .values(
            user_id=user_id,
            day=day,
            body=check_body(body, limit=MAX_JOURNAL_CHARS),
            created_at=portal.now(),
        )
        .returning(journal_entries.c.id)
    ).scalar_one()
    return int(entry_id)


def entries_on(conn: Connection, user_id: int, day: date) -> list[Entry]:
    rows = conn.execute(
        select(journal_entries)
        .where(journal_entries.c.user_id == user_id, journal_entries.c.day == day)
        .order_by(journal_entries.c.id)
    ).all()
    return [Entry(int(r.id), r.day, r.body, r.created_at) for r in rows]


def journal_days(conn: Connection, user_id: int, *, limit: int = 60) -> list[tuple[date, int]]:
    rows = conn.execute(
        select(journal_entries.c.day, func.count())
        .where(journal_entries.c.user_id == user_id)
        .group_by(journal_entries.c.day)
        .order_by(journal_entries.c.day.desc())
        .limit(limit)
    ).all()
    return [(day, int(count)) for day, count in rows]


def recent_entries(conn: Connection, user_id: int, *, limit: int = 100) -> list[Entry]:
    """The latest `limit` entries across all days, newest first (the teacher's read of a journal)."""
    rows = conn.execute(
        select(journal_entries)
        .where(journal_entries.c.user_id == user_id)
        .order_by(journal_entries.c.day.desc(), journal_entries.c.id.desc())
        .limit(limit)
    ).all()
    return [Entry(int(r.id), r.day, r.body, r.created_at) for r in rows]
