"""A learner's "today": what is due, what to read next, how the last quizzes went, and the day streak.

The streak counts consecutive calendar days, in the learner's own time zone, with any learning action: a quiz or
exam, a review, a note written or edited, a journal entry. Opening a page is not an action (or merely looking at
the streak would extend it). A day not yet acted on does not break the streak until it is over: if today is
still empty, the count runs back from yesterday.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, desc, select, union_all

from lynx_cortex.phases import PHASES, Phase
from miniportal import learning, review
from miniportal.db import attempts, journal_entries, notes, review_log
from miniportal.learner import AttemptRow
from miniportal.service import Portal
from minireview.daily import local_date

RECENT_SCORES = 5
#: How far back the streak looks; a longer streak is shown as this many days.
STREAK_WINDOW = timedelta(days=400)


@dataclass(frozen=True)
class Today:
    due_now: int  # cards /review would show now (today's cap applied)
    next_phase: Phase | None  # the first phase not done; None once all are
    recent: list[AttemptRow]  # newest first
    streak: int


def streak(active: Iterable[date], today: date) -> int:
    days = set(active)
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def _action_times(conn: Connection, user_id: int, since: datetime) -> list[datetime]:
    actions = union_all(
        select(attempts.c.submitted_at).where(
            attempts.c.user_id == user_id, attempts.c.submitted_at >= since
        ),
        select(review_log.c.reviewed_at).where(
            review_log.c.user_id == user_id, review_log.c.reviewed_at >= since
        ),
        select(notes.c.updated_at).where(notes.c.user_id == user_id, notes.c.updated_at >= since),
        select(journal_entries.c.created_at).where(
            journal_entries.c.user_id == user_id, journal_entries.c.created_at >= since
        ),
    )
    return list(conn.execute(actions).scalars())


def build(portal: Portal, conn: Connection, user_id: int, timezone: str, cap: int) -> Today:
    now = portal.now()
    queue = review.due_queue(portal, conn, user_id, timezone, cap)
    mine = learning.statuses(conn, user_id)
    upcoming = next((p for p in PHASES if mine.get(p.number) != "done"), None)
    rows = conn.execute(
        select(attempts.c.source, attempts.c.ref, attempts.c.correct, attempts.c.total)
        .add_columns(attempts.c.submitted_at)
        .where(attempts.c.user_id == user_id)
        .order_by(desc(attempts.c.submitted_at), desc(attempts.c.id))
        .limit(RECENT_SCORES)
    ).all()
    recent = [AttemptRow(r[0], r[1], int(r[2]), int(r[3]), r[4]) for r in rows]
    stamps = _action_times(conn, user_id, now - STREAK_WINDOW)
    days = {local_date(at, timezone) for at in stamps}
    return Today(len(queue.cards), upcoming, recent, streak(days, local_date(now, timezone)))
