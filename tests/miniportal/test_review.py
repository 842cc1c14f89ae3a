"""Spaced repetition through the portal with an injected clock: SM-2 and FSRS schedules, the 30-a-day cap,
"today" in the learner's time zone, and review cards that belong to one learner only."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from miniportal import accounts, review
from miniportal.db import review_cards, review_log
from miniportal.errors import NotFoundError, PortalError
from miniportal.service import Portal
from minireview.sm2 import RETIRE_AFTER_DAYS

Open = Callable[..., TestClient]
Csrf = Callable[[TestClient, str], str]
MakeUser = Callable[..., accounts.User]
NOON = datetime(2026, 6, 1, 12, 0)
_NAMES = itertools.count()


def _seed(portal: Portal, user_id: int, *items: str, scheduler: str = "sm2") -> list[int]:
    with portal.engine.begin() as conn:
        review.seed_cards(portal, conn, user_id, list(items), scheduler)
        return [
            int(i)
            for i in conn.execute(
                select(review_cards.c.id)
                .where(review_cards.c.user_id == user_id)
                .order_by(review_cards.c.id)
            ).scalars()
        ]


def _grade(portal: Portal, user: accounts.User, card_id: int, button: str) -> review.Card:
    with portal.engine.begin() as conn:
        return review.review_card(portal, conn, user.id, card_id, button, user.timezone)


def _queue(portal: Portal, user: accounts.User, cap: int = 30) -> review.Queue:
    with portal.engine.connect() as conn:
        return review.due_queue(portal, conn, user.id, user.timezone, cap)


def test_sm2_through_the_portal_follows_1_6_15_and_retires(
    portal: Portal, make_user: MakeUser, clock: object
) -> None:
    clock.now = NOON  # type: ignore[attr-defined]
    user = make_user("ana")
    (card_id,) = _seed(portal, user.id, "q-00-06")
    assert _queue(portal, user).cards == []  # created today, due tomorrow
    intervals = []
    for _ in range(6):
        clock.now = _queue_due(portal, card_id)  # type: ignore[attr-defined]
        assert [c.id for c in _queue(portal, user).cards] == [card_id]
        card = _grade(portal, user, card_id, "good")
        intervals.append((card.due_at - clock.now).days)  # type: ignore[attr-defined]
    assert intervals == [1, 6, 15, 38, 95, 238]
    assert card.retired_at is not None and intervals[-1] > RETIRE_AFTER_DAYS
    clock.now = card.due_at + timedelta(days=1)  # type: ignore[attr-defined]
    assert _queue(portal, user).due == 0  # retired cards leave the queue


def _queue_due(portal: Portal, card_id: int) -> datetime:
    with portal.engine.connect() as conn:
        due: datetime = conn.execute(
            select(review_cards.c.due_at).where(review_cards.c.id == card_id)
        ).scalar_one()
    return due


def test_sm2_lapse_resets_to_one_day_and_lowers_ease_to_the_floor(
    portal: Portal, make_user: MakeUser, clock: object
) -> None:
    clock.now = NOON  # type: ignore[attr-defined]
    user = make_user("ana")
    (card_id,) = _seed(portal, user.id, "q-00-06")
    for _ in range(5):
        clock.now = _queue_due(portal, card_id)  # type: ignore[attr-defined]
        card = _grade(portal, user, card_id, "again")
        assert card.due_at - clock.now == timedelta(days=1)  # type: ignore[attr-defined]
    assert card.state["ease"] == pytest.approx(1.3) and card.lapses == 5
    # a new wrong answer on an active card keeps its schedule
    _seed(portal, user.id, "q-00-06")
    assert _queue_due(portal, card_id) == card.due_at


def test_fsrs_is_a_cohort_setting_and_new_cards_use_it(
    portal: Portal, make_user: MakeUser, clock: object
) -> None:
    clock.now = NOON  # type: ignore[attr-defined]
    user = make_user("ana")
    with portal.engine.begin() as conn:
        assert review.cohort_scheduler(conn) == "sm2"
        review.set_cohort_scheduler(portal, conn, "fsrs")
        with pytest.raises(PortalError, match="scheduler must be one of"):
            review.set_cohort_scheduler(portal, conn, "leitner")
        review.seed_cards(portal, conn, user.id, ["q-00-01"], review.cohort_scheduler(conn))
    with portal.engine.connect() as conn:
        scheduler, state = conn.execute(
            select(review_cards.c.scheduler, review_cards.c.state)
        ).one()
    assert scheduler == "fsrs" and "stability" in json.loads(state)
    (card_id,) = _seed(portal, user.id)
    clock.now = NOON + timedelta(days=1)  # type: ignore[attr-defined]
    first = _grade(portal, user, card_id, "good")
    clock.now = first.due_at  # type: ignore[attr-defined]
    second = _grade(portal, user, card_id, "good")
    first_interval = first.due_at - (NOON + timedelta(days=1))
    second_interval = second.due_at - first.due_at
    assert second_interval > first_interval >= timedelta(days=1)  # Good grows the interval
    clock.now = second.due_at  # type: ignore[attr-defined]
    lapse = _grade(portal, user, card_id, "again")
    assert timedelta(days=1) <= lapse.due_at - second.due_at < second_interval  # a lapse shrinks it
    assert lapse.lapses == 1 and lapse.reviews == 3


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scheduler=st.sampled_from(["sm2", "fsrs"]),
    presses=st.lists(
        st.tuples(st.sampled_from(["again", "hard", "good", "easy"]), st.integers(0, 72)),
        min_size=1,
        max_size=8,
    ),
)
def test_due_dates_never_move_backwards_after_a_passing_grade(
    portal: Portal,
    clock: object,
    scheduler: str,
    presses: list[tuple[str, int]],
) -> None:
    """Reviewing at (or some hours after) the due time: Good and Easy always push the due time past both the
    review time and the previous due time."""
    clock.now = NOON  # type: ignore[attr-defined]
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, f"prop{next(_NAMES)}")
    (card_id,) = _seed(portal, user.id, "q-00-06", scheduler=scheduler)
    for button, late_hours in presses:
        before = _queue_due(portal, card_id)
        clock.now = before + timedelta(hours=late_hours % 12)  # type: ignore[attr-defined]
        card = _grade(portal, user, card_id, button)
        if button in ("good", "easy"):
            assert card.due_at > clock.now  # type: ignore[attr-defined]
            assert card.due_at >= before
        if card.retired_at is not None:
            break


def test_the_daily_cap_counts_reviews_in_the_learners_day(
    portal: Portal, make_user: MakeUser, clock: object
) -> None:
    clock.now = NOON  # type: ignore[attr-defined]
    user = make_user("ana")
    items = [f"c-work-present_simple-{p}" for p in ("1sg", "2sg", "3sg")] + [
        f"c-play-present_simple-{p}" for p in ("1sg", "2sg")
    ]
    ids = _seed(portal, user.id, *items)
    clock.now = NOON + timedelta(days=1)  # type: ignore[attr-defined]
    queue = _queue(portal, user, cap=3)
    assert queue.due == 5 and len(queue.cards) == 3
    for card_id in ids[:3]:
        with portal.engine.begin() as conn:
            review.review_card(portal, conn, user.id, card_id, "good", user.timezone, cap=3)
    assert _queue(portal, user, cap=3).cards == []
    with pytest.raises(PortalError, match="today's 3 reviews"), portal.engine.begin() as conn:
        review.review_card(portal, conn, user.id, ids[3], "good", user.timezone, cap=3)
    clock.now = NOON + timedelta(days=2)  # type: ignore[attr-defined]
    assert len(_queue(portal, user, cap=3).cards) == 3  # a new day, a new allowance


def test_today_is_the_learners_calendar_day(
    portal: Portal, make_user: MakeUser, clock: object
) -> None:
    user = make_user("ana")
    with portal.engine.begin() as conn:
        accounts.update_profile(portal, conn, user.id, timezone="Pacific/Auckland")
        user = accounts.get_user(conn, user.id)  # type: ignore[assignment]
    (card_id,) = _seed(portal, user.id, "q-00-06")
    # due 2026-06-02 14:00 UTC = 2026-06-03 02:00 in Auckland (UTC+12)
    with portal.engine.begin() as conn:
        conn.execute(update(review_cards).values(due_at=datetime(2026, 6, 2, 14, 0)))
    clock.now = datetime(2026, 6, 2, 11, 30)  # type: ignore[attr-defined]  # 23:30 on 06-02 in Auckland
    assert _queue(portal, user).due == 0
    clock.now = datetime(2026, 6, 2, 12, 30)  # type: ignore[attr-defined]  # 00:30 on 06-03 in Auckland
    assert [c.id for c in _queue(portal, user).cards] == [card_id]


def test_cards_belong_to_their_learner(portal: Portal, make_user: MakeUser, clock: object) -> None:
    clock.now = NOON  # type: ignore[attr-defined]
    ana, ben = make_user("ana"), make_user("ben")
    (card_id,) = _seed(portal, ana.id, "q-00-06")
    clock.now = NOON + timedelta(days=1)  # type: ignore[attr-defined]
    with pytest.raises(NotFoundError), portal.engine.begin() as conn:
        review.review_card(portal, conn, ben.id, card_id, "good", ben.timezone)
    with portal.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(review_log)).scalar_one() == 0


def test_review_over_http(logged_in: Open, get_csrf: Csrf, portal: Portal, clock: object) -> None:
    ana = logged_in("ana")
    ben = logged_in("ben")
    with portal.engine.connect() as conn:
        ana_user = accounts.find_user(conn, "ana")
    assert ana_user is not None
    (card_id,) = _seed(portal, ana_user.id, "q-00-06")
    assert 'id="review-empty"' in ana.get("/review").text
    clock.advance(days=1)  # type: ignore[attr-defined]
    page = ana.get("/review").text
    assert f'id="card-{card_id}"' in page and "PYTHONHASHSEED" in page
    token = get_csrf(ben, "/review")
    assert (
        ben.post(f"/review/{card_id}", data={"button": "good", "csrf_token": token}).status_code
        == 404
    )
    token = get_csrf(ana, "/review")
    for bad, status in (("maybe", 400), ("", 400)):
        response = ana.post(f"/review/{card_id}", data={"button": bad, "csrf_token": token})
        assert response.status_code == status
    assert ana.post("/review/abc", data={"button": "good", "csrf_token": token}).status_code == 404
    assert (
        ana.post("/review/99999", data={"button": "good", "csrf_token": token}).status_code == 404
    )
    assert ana.post(f"/review/{card_id}", data={"button": "good"}).status_code == 403
    done = ana.post(
        f"/review/{card_id}", data={"button": "good", "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/review"
    assert 'id="review-empty"' in ana.get("/review").text
    again = ana.post(f"/review/{card_id}", data={"button": "good", "csrf_token": token})
    assert again.status_code == 409  # not due any more
