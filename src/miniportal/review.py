"""Review cards: one per (learner, item), created or reactivated by a wrong answer, scheduled by `minireview`.

Scheduling itself lives in `minireview` (SM-2 or FSRS behind one interface); this module only stores the
scheduler's JSON state, keeps the due time in naive UTC, and applies the daily cap in the learner's own day.
The scheduler is a cohort setting; each card remembers the scheduler that made it, so switching the setting
affects new cards and never reinterprets an old card's state.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update

from miniportal.db import SCHEDULERS, cohort_settings, review_cards, review_log
from miniportal.errors import NotFoundError, PortalError
from miniportal.service import Portal
from minireview.daily import DAILY_CAP, day_bounds, remaining_today
from minireview.schedulers import BUTTONS, Button, get_scheduler

SCHEDULER_SETTING = "scheduler"
DEFAULT_SCHEDULER = "sm2"
FIRST_REVIEW_AFTER = timedelta(days=1)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------- setting


def cohort_scheduler(conn: Connection) -> str:
    value = conn.execute(
        select(cohort_settings.c.value).where(cohort_settings.c.name == SCHEDULER_SETTING)
    ).scalar_one_or_none()
    return value if value in SCHEDULERS else DEFAULT_SCHEDULER


def set_cohort_scheduler(portal: Portal, conn: Connection, name: str) -> None:
    if name not in SCHEDULERS:
        raise PortalError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {name[:20]!r}")
    values = {"value": name, "updated_at": portal.now()}
    where = cohort_settings.c.name == SCHEDULER_SETTING
    if conn.execute(update(cohort_settings).where(where).values(**values)).rowcount == 0:
        conn.execute(insert(cohort_settings).values(name=SCHEDULER_SETTING, **values))


# --------------------------------------------------------------------------------------------- cards


@dataclass(frozen=True)
class Card:
    id: int
    item_id: str
    scheduler: str
    state: dict[str, object]
    due_at: datetime
    reviews: int
    lapses: int
    retired_at: datetime | None


def _card(row: object) -> Card:
    r = row
    return Card(
        int(r.id),  # type: ignore[attr-defined]
        r.item_id,  # type: ignore[attr-defined]
        r.scheduler,  # type: ignore[attr-defined]
        json.loads(r.state),  # type: ignore[attr-defined]
        r.due_at,  # type: ignore[attr-defined]
        int(r.reviews),  # type: ignore[attr-defined]
        int(r.lapses),  # type: ignore[attr-defined]
        r.retired_at,  # type: ignore[attr-defined]
    )


def seed_cards(
    portal: Portal, conn: Connection, user_id: int, item_ids: list[str], scheduler: str
) -> int:
    """Create a card for each item the learner got wrong, or reactivate its retired card; due in one day.

    An active card keeps its schedule (a wrong answer elsewhere does not reset work already done).
    Returns how many cards were created or reactivated.
    """
    now = portal.now()
    if not item_ids:
        return 0
    existing = {
        row.item_id: row
        for row in conn.execute(
            select(review_cards.c.id, review_cards.c.item_id, review_cards.c.retired_at).where(
                review_cards.c.user_id == user_id, review_cards.c.item_id.in_(item_ids)
            )
        ).all()
    }
    engine = get_scheduler(scheduler)
    changed = 0
    for item_id in dict.fromkeys(item_ids):
        fresh = {
            "scheduler": scheduler,
            "state": json.dumps(engine.new_card(_aware(now)), sort_keys=True),
            "due_at": now + FIRST_REVIEW_AFTER,
            "last_reviewed_at": None,
            "retired_at": None,
        }
        row = existing.get(item_id)
        if row is None:
            conn.execute(
                insert(review_cards).values(
                    user_id=user_id, item_id=item_id, created_at=now, reviews=0, lapses=0, **fresh
                )
            )
            changed += 1
        elif row.retired_at is not None:
            conn.execute(update(review_cards).where(review_cards.c.id == row.id).values(**fresh))
            changed += 1
    return changed


def _today(portal: Portal, timezone: str) -> tuple[datetime, datetime]:
    return day_bounds(portal.now(), timezone)


def reviews_done_today(portal: Portal, conn: Connection, user_id: int, timezone: str) -> int:
    start, end = _today(portal, timezone)
    return int(
        conn.execute(
            select(func.count())
            .select_from(review_log)
            .where(
                review_log.c.user_id == user_id,
                review_log.c.reviewed_at >= start,
                review_log.c.reviewed_at < end,
            )
        ).scalar_one()
    )


@dataclass(frozen=True)
class Queue:
    cards: list[Card]  # what the learner may review now, earliest due first
    due: int  # every card due by the end of the learner's day
    done_today: int
    cap: int


def due_queue(
    portal: Portal, conn: Connection, user_id: int, timezone: str, cap: int = DAILY_CAP
) -> Queue:
    """Cards due by the end of the learner's day, at most `cap` reviews a day in all."""
    _, end = _today(portal, timezone)
    where = (
        review_cards.c.user_id == user_id,
        review_cards.c.retired_at.is_(None),
        review_cards.c.due_at < end,
    )
    due = int(
        conn.execute(select(func.count()).select_from(review_cards).where(*where)).scalar_one()
    )
    done = reviews_done_today(portal, conn, user_id, timezone)
    room = remaining_today(done, cap)
    rows = (
        conn.execute(
            select(review_cards)
            .where(*where)
            .order_by(review_cards.c.due_at, review_cards.c.id)
            .limit(room)
        ).all()
        if room
        else []
    )
    return Queue([_card(r) for r in rows], due, done, cap)


def get_card(conn: Connection, user_id: int, card_id: int) -> Card:
    row = conn.execute(
        select(review_cards).where(review_cards.c.id == card_id, review_cards.c.user_id == user_id)
    ).first()
    if row is None:
        raise NotFoundError("no such review card")
    return _card(row)


def next_intervals(card: Card, now: datetime) -> dict[Button, timedelta]:
    """How long each button would put the card away, asked of the card's own scheduler at `now`.

    The grade buttons show these before the learner presses one, so the preview must be exactly what
    `review_card` would store: same scheduler, same state, same time. The state is copied because a scheduler
    is free to treat its input as its own.
    """
    engine = get_scheduler(card.scheduler)
    moment = _aware(now)
    return {b: engine.review(copy.deepcopy(card.state), b, moment)[1] - moment for b in BUTTONS}


def interval_label(delta: timedelta) -> tuple[str, int]:
    """An interval as an interface-string key and a whole count: minutes under an hour, hours under a day,
    else days (rounded, as Anki shows them: "1 d", "6 d", "15 d")."""
    seconds = max(0.0, delta.total_seconds())
    if seconds < 3600:
        return "review.in_minutes", max(1, round(seconds / 60))
    if seconds < 86400:
        return "review.in_hours", round(seconds / 3600)
    return "review.in_days", round(seconds / 86400)


def review_card(
    portal: Portal,
    conn: Connection,
    user_id: int,
    card_id: int,
    button: str,
    timezone: str,
    cap: int = DAILY_CAP,
) -> Card:
    """Grade one due card: the scheduler computes the next due time; a retired card leaves the queue."""
    if button not in BUTTONS:
        raise PortalError(f"button must be one of {', '.join(BUTTONS)}, got {button[:20]!r}")
    card = get_card(conn, user_id, card_id)
    now = portal.now()
    _, end = _today(portal, timezone)
    if card.retired_at is not None or card.due_at >= end:
        raise PortalError("this card is not due today", status=409)
    if remaining_today(reviews_done_today(portal, conn, user_id, timezone), cap) == 0:
        raise PortalError(f"you have done today's {cap} reviews; come back tomorrow", status=409)
    engine = get_scheduler(card.scheduler)
    pressed: Button = button  # checked against BUTTONS above
    state, due = engine.review(card.state, pressed, _aware(now))
    due_at = _naive(due)
    values: dict[str, object] = {
        "state": json.dumps(state, sort_keys=True),
        "due_at": due_at,
        "last_reviewed_at": now,
        "reviews": card.reviews + 1,
        "lapses": card.lapses + (1 if button == "again" else 0),
    }
    if engine.retired(state):
        values["retired_at"] = now
    conn.execute(update(review_cards).where(review_cards.c.id == card.id).values(**values))
    conn.execute(
        insert(review_log).values(
            card_id=card.id,
            user_id=user_id,
            button=button,
            reviewed_at=now,
            due_before=card.due_at,
            due_after=due_at,
        )
    )
    return get_card(conn, user_id, card.id)
