"""Home = today: a logged-in learner's `/` shows due reviews, the next phase, recent scores and a day streak;
the 42-phase strip moved to `/progress`; a guest's `/` is still the curriculum. Both databases."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from lynx_cortex.quiz import load_quizzes
from miniportal import accounts, learning, review
from miniportal.questions import from_quiz_item
from miniportal.service import Portal
from miniportal.today import streak

Open = Callable[..., TestClient]
Csrf = Callable[[TestClient, str], str]
DAY = date(2026, 6, 10)


def _text(page: str, element: str) -> str:
    found = re.search(rf'id="{element}".*?</section>', page, re.S)
    assert found is not None, element
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


@given(st.sets(st.integers(min_value=-60, max_value=0), max_size=40))
def test_streak_is_the_run_of_days_ending_today_or_yesterday(offsets: set[int]) -> None:
    days = {DAY + timedelta(days=k) for k in offsets}
    got = streak(days, DAY)
    start = DAY if DAY in days else DAY - timedelta(days=1)
    # oracle: the longest k such that the k days ending at `start` are all active
    expected = next(k for k in range(62) if start - timedelta(days=k) not in days)
    assert got == expected
    assert got == 0 or {start - timedelta(days=i) for i in range(got)} <= days


def test_streak_examples() -> None:
    assert streak([], DAY) == 0
    assert streak([DAY], DAY) == 1
    assert streak([DAY - timedelta(days=1)], DAY) == 1  # today not over yet
    assert streak([DAY - timedelta(days=2)], DAY) == 0  # yesterday missed: broken
    assert streak([DAY, DAY - timedelta(days=1), DAY - timedelta(days=3)], DAY) == 2


def test_home_is_today_and_progress_moved(
    logged_in: Open,
    get_csrf: Csrf,
    portal: Portal,
    clock: Any,
    answers_for: Callable[..., dict[str, str]],
    count_queries: Callable[[Portal], Any],
) -> None:
    clock.now = datetime(2026, 6, 10, 12, 0)
    ana = logged_in("ana")
    home = ana.get("/").text
    assert 'id="done-count"' not in home and 'href="/progress"' in home
    assert "No reviews due now." in _text(home, "today-due")
    assert "00 ·" in _text(home, "today-next")
    assert "0 days in a row" in _text(home, "today-streak")
    assert "No quizzes yet." in _text(home, "today-scores")
    assert 'id="done-count">0 of 42' in ana.get("/progress").text

    quiz = load_quizzes(portal.settings.quizzes_dir)[0]
    fields = answers_for([from_quiz_item(i, 0) for i in quiz.items], frozenset({"q-00-06"}))
    ana.post("/phases/00/quiz", data={**fields, "csrf_token": get_csrf(ana, "/phases/00/quiz")})
    with portal.engine.begin() as conn:
        user = accounts.find_user(conn, "ana")
        assert user is not None
        learning.set_status(portal, conn, user.id, 0, "done")
    clock.advance(days=1)
    with count_queries(portal) as statements:
        home = ana.get("/").text
    assert len(statements) <= 10  # bounded: session, queue (3), statuses, attempts, actions
    assert "1 review due now" in _text(home, "today-due") and 'href="/review"' in home
    assert "01 ·" in _text(home, "today-next")
    total = len(quiz.items)
    assert f"{total - 1} of {total} correct" in _text(home, "today-scores")
    assert "1 day in a row" in _text(home, "today-streak")  # yesterday counts until today ends

    with portal.engine.begin() as conn:
        (card,) = review.due_queue(portal, conn, user.id, user.timezone).cards
        review.review_card(portal, conn, user.id, card.id, "good", user.timezone)
    home = ana.get("/").text
    assert "2 days in a row" in _text(home, "today-streak")
    assert "No reviews due now." in _text(home, "today-due")
    clock.advance(days=2)  # a whole day with nothing: the streak breaks
    assert "0 days in a row" in _text(ana.get("/").text, "today-streak")


def test_guest_home_is_unchanged_and_progress_needs_a_login(app_client: TestClient) -> None:
    home = app_client.get("/")
    assert home.status_code == 200 and 'id="today-due"' not in home.text
    assert 'href="/phases/00"' in home.text  # the curriculum landing
    assert app_client.get("/progress", follow_redirects=False).status_code in (303, 401)


def test_spanish_today(logged_in: Open, get_csrf: Csrf) -> None:
    ana = logged_in("ana")
    ana.post("/locale", data={"locale": "es", "csrf_token": get_csrf(ana, "/")})
    home = ana.get("/").text
    assert "Hoy" in home and "0 días seguidos" in home
