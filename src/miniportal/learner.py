"""One learner as a teacher sees them: progress, scores over time, review load, activity — in a fixed number of
queries however much the learner has done.

Their private writing (notes, journal) is not on this page, only counted: reading it is a separate, deliberate
request that the audit log records and the learner sees on their own profile (`audit.reads_of`). A teacher who
only checks progress therefore leaves no "read your notes" trace that would be untrue.

Queries: the user, their statuses, their attempts, one row of counters (cards, reviews, notes, journal) and one
list of activity timestamps. Five, plus the session lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    ScalarSelect,
    Table,
    func,
    literal,
    select,
    union_all,
)

from lynx_cortex.quiz import PASS_MARK
from miniportal import learning
from miniportal.db import (
    attempts,
    journal_entries,
    notes,
    review_cards,
    review_log,
    sessions,
    users,
)
from miniportal.errors import NotFoundError

#: A gap between two consecutive actions longer than this is a break, not time on task.
IDLE_GAP = timedelta(minutes=30)
#: Retention is measured over the reviews of this many recent days.
RETENTION_DAYS = 30


@dataclass(frozen=True)
class Learner:
    id: int
    username: str
    display_name: str
    locale: str
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class AttemptRow:
    source: str  # quiz | exam
    ref: str  # the phase code or the exam slug
    correct: int
    total: int
    submitted_at: datetime

    @property
    def score(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def passed(self) -> bool:
        return self.total > 0 and self.score >= PASS_MARK  # the exam page's rule


@dataclass(frozen=True)
class Detail:
    learner: Learner
    statuses: dict[int, str]
    attempts: list[AttemptRow]  # oldest first
    active_cards: int
    due_now: int
    retired_cards: int
    reviews_recent: int  # reviews in the last RETENTION_DAYS days
    recalled_recent: int  # of those, graded anything but "again"
    notes: int
    journal_entries: int
    last_active: datetime | None
    time_on_task: timedelta

    @property
    def retention(self) -> float | None:
        return self.recalled_recent / self.reviews_recent if self.reviews_recent else None

    @property
    def done(self) -> int:
        return sum(1 for s in self.statuses.values() if s == "done")


def find_learner(conn: Connection, username: str) -> Learner:
    """An active student by name; anyone else (staff, disabled, unknown) is "no such learner"."""
    row = conn.execute(
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.locale,
            users.c.created_at,
            users.c.last_login_at,
        ).where(
            users.c.username == username,
            users.c.role == "student",
            users.c.disabled_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFoundError("no such learner")
    return Learner(int(row[0]), row[1], row[2], row[3], row[4], row[5])


def time_on_task(stamps: list[datetime], *, idle: timedelta = IDLE_GAP) -> timedelta:
    """Sum of the gaps between consecutive actions that are no longer than `idle`.

    A heuristic, and a floor: the time before the first action of a sitting and after its last is not seen.
    """
    ordered = sorted(stamps)
    total = timedelta()
    for before, after in zip(ordered, ordered[1:], strict=False):
        gap = after - before
        if gap <= idle:
            total += gap
    return total


def _counters(conn: Connection, user_id: int, now: datetime) -> tuple[int, ...]:
    def count(table: Table, *where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    since = now - timedelta(days=RETENTION_DAYS)
    mine_cards = review_cards.c.user_id == user_id
    live = review_cards.c.retired_at.is_(None)
    recent = (review_log.c.user_id == user_id, review_log.c.reviewed_at >= since)
    row = conn.execute(
        select(
            count(review_cards, mine_cards, live),
            count(review_cards, mine_cards, live, review_cards.c.due_at <= now),
            count(review_cards, mine_cards, review_cards.c.retired_at.is_not(None)),
            count(review_log, *recent),
            count(review_log, *recent, review_log.c.button != "again"),
            count(notes, notes.c.user_id == user_id),
            count(journal_entries, journal_entries.c.user_id == user_id),
        )
    ).one()
    return tuple(int(value or 0) for value in row)


def _activity(conn: Connection, user_id: int) -> tuple[list[datetime], datetime | None]:
    """Every action's time (sessions opened and seen, attempts, reviews, notes, journal) and the latest
    "last seen" of a session."""
    kinds = union_all(
        select(literal("start"), sessions.c.created_at).where(sessions.c.user_id == user_id),
        select(literal("seen"), sessions.c.last_seen_at).where(sessions.c.user_id == user_id),
        select(literal("attempt"), attempts.c.submitted_at).where(attempts.c.user_id == user_id),
        select(literal("review"), review_log.c.reviewed_at).where(review_log.c.user_id == user_id),
        select(literal("note"), notes.c.updated_at).where(notes.c.user_id == user_id),
        select(literal("journal"), journal_entries.c.created_at).where(
            journal_entries.c.user_id == user_id
        ),
    )
    rows = conn.execute(kinds).all()
    seen = max((at for kind, at in rows if kind == "seen"), default=None)
    return [at for _, at in rows], seen


def build(conn: Connection, username: str, now: datetime) -> Detail:
    learner = find_learner(conn, username)
    history = [
        AttemptRow(r.source, r.ref, int(r.correct), int(r.total), r.submitted_at)
        for r in conn.execute(
            select(
                attempts.c.source,
                attempts.c.ref,
                attempts.c.correct,
                attempts.c.total,
                attempts.c.submitted_at,
            )
            .where(attempts.c.user_id == learner.id)
            .order_by(attempts.c.submitted_at, attempts.c.id)
        ).all()
    ]
    active, due, retired, reviews, recalled, n_notes, n_journal = _counters(conn, learner.id, now)
    stamps, seen = _activity(conn, learner.id)
    last_active = max((t for t in (learner.last_login_at, seen) if t is not None), default=None)
    return Detail(
        learner=learner,
        statuses=learning.statuses(conn, learner.id),
        attempts=history,
        active_cards=active,
        due_now=due,
        retired_cards=retired,
        reviews_recent=reviews,
        recalled_recent=recalled,
        notes=n_notes,
        journal_entries=n_journal,
        last_active=last_active,
        time_on_task=time_on_task(stamps),
    )
