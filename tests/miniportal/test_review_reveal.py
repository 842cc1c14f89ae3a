"""Review like Anki over HTTP: the grade buttons sit behind the answer's reveal, and each one shows the interval
the card's own scheduler would give, which is exactly what pressing it stores (SM-2 and FSRS, both databases)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from miniportal import accounts, review
from miniportal.db import review_cards
from miniportal.service import Portal
from minireview.schedulers import BUTTONS

Open = Callable[..., TestClient]
Csrf = Callable[[TestClient, str], str]
_LABEL = re.compile(r'id="grade-(\w+)"[^>]*>.*?<span class="interval">([^<]+)</span>', re.S)


def _labels(page: str) -> dict[str, str]:
    return dict(_LABEL.findall(page))


def _seed(portal: Portal, username: str, items: list[str], scheduler: str) -> list[int]:
    with portal.engine.begin() as conn:
        user = accounts.find_user(conn, username)
        assert user is not None
        review.seed_cards(portal, conn, user.id, items, scheduler)
        return [
            int(i)
            for i in conn.execute(
                select(review_cards.c.id).where(review_cards.c.user_id == user.id)
            ).scalars()
        ]


def _due_in(portal: Portal, card_id: int) -> timedelta:
    with portal.engine.connect() as conn:
        due = conn.execute(
            select(review_cards.c.due_at).where(review_cards.c.id == card_id)
        ).scalar_one()
    return due - portal.now()  # type: ignore[no-any-return]


def _as_label(delta: timedelta) -> str:
    """The oracle for the label: Anki-style whole units, written independently of the portal's helper."""
    s = delta.total_seconds()
    return f"{round(s / 86400)} d" if s >= 86400 else f"{round(s / 3600)} h" if s >= 3600 else "?"


def test_grades_hide_behind_the_answer_and_sm2_shows_1_6_15(
    logged_in: Open,
    get_csrf: Csrf,
    portal: Portal,
    clock: object,
    count_queries: Callable[[Portal], Any],
) -> None:
    ana = logged_in("ana")
    (card_id,) = _seed(portal, "ana", ["q-00-06"], "sm2")
    shown = []
    for _ in range(3):
        clock.advance(days=round(_due_in(portal, card_id).total_seconds() / 86400))  # type: ignore[attr-defined]
        with count_queries(portal) as statements:
            page = ana.get("/review").text
        assert len(statements) <= 6  # the previews are computed, not queried
        # The no-JS reveal: the grade form lives inside the <details> after its <summary>.
        assert (
            page.index("<summary") < page.index('class="grade-buttons"') < page.index("</details>")
        )
        labels = _labels(page)
        assert list(labels) == list(BUTTONS)
        shown.append(labels["good"])
        token = get_csrf(ana, "/review")
        ana.post(f"/review/{card_id}", data={"button": "good", "csrf_token": token})
        assert _as_label(_due_in(portal, card_id)) == labels["good"]
    assert shown == ["1 d", "6 d", "15 d"]


def test_each_fsrs_button_stores_the_interval_it_showed(
    logged_in: Open, get_csrf: Csrf, portal: Portal, clock: object
) -> None:
    ana = logged_in("ana")
    ids = _seed(portal, "ana", ["q-00-01", "q-00-02", "q-00-03", "q-00-04"], "fsrs")
    clock.advance(days=1)  # type: ignore[attr-defined]
    seen: dict[str, str] = {}
    for button in ("easy", "good", "hard", "again"):  # 'again' last: it may come back later today
        page = ana.get("/review").text
        card_id = int(re.search(r'id="card-(\d+)"', page).group(1))  # type: ignore[union-attr]
        assert card_id in ids
        labels = _labels(page)
        token = get_csrf(ana, "/review")
        ana.post(f"/review/{card_id}", data={"button": button, "csrf_token": token})
        delta = _due_in(portal, card_id)
        key, n = review.interval_label(delta)
        assert labels[button] == {"review.in_days": f"{n} d", "review.in_hours": f"{n} h"}.get(
            key, f"{n} min"
        )
        seen[button] = labels[button]
    assert len(set(seen.values())) >= 2  # the labels differ by button, not one fixed text


def test_harder_buttons_never_promise_a_longer_wait(
    logged_in: Open, portal: Portal, clock: object
) -> None:
    logged_in("ana")
    for scheduler in ("sm2", "fsrs"):
        with portal.engine.connect() as conn:
            user = accounts.find_user(conn, "ana")
        assert user is not None
        ids = _seed(portal, "ana", [f"q-00-0{len(scheduler)}"], scheduler)
        with portal.engine.connect() as conn:
            card = review.get_card(conn, user.id, ids[-1])
        waits = review.next_intervals(card, portal.now())
        assert list(waits) == list(BUTTONS)
        ordered = [waits[b] for b in BUTTONS]
        assert ordered == sorted(ordered)  # SM-2 gives a new card 1 d whatever the button
        if scheduler == "fsrs":
            assert ordered[0] < ordered[-1]
        with portal.engine.connect() as conn:  # previewing graded nothing
            assert review.get_card(conn, user.id, card.id).state == card.state


def test_interval_labels_are_whole_units() -> None:
    assert review.interval_label(timedelta(minutes=10)) == ("review.in_minutes", 10)
    assert review.interval_label(timedelta(seconds=5)) == ("review.in_minutes", 1)
    assert review.interval_label(timedelta(hours=5)) == ("review.in_hours", 5)
    assert review.interval_label(timedelta(days=15, hours=3)) == ("review.in_days", 15)
