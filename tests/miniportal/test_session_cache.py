"""The per-process session cache: page views skip the session query, and revocation still bites at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from miniportal import accounts, sessioncache
from miniportal.db import sessions as sessions_table
from miniportal.service import Portal
from miniportal.sessioncache import GRACE_S, Cached, SessionCache

Open = Callable[..., TestClient]
T0 = datetime(2026, 1, 1)


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker(monkeypatch: pytest.MonkeyPatch) -> Ticker:
    tick = Ticker()
    monkeypatch.setattr(sessioncache.time, "monotonic", tick)
    return tick


def _entry(user_id: int, stored_at: float) -> Cached[str]:
    return Cached(f"session-of-{user_id}", user_id, T0, T0, T0, stored_at)


def test_an_entry_lives_ttl_seconds(ticker: Ticker) -> None:
    cache: SessionCache[str] = SessionCache(10)
    cache.put("a", _entry(1, ticker.now), cache.generation())
    ticker.now += 9.9
    assert cache.get("a") is not None
    ticker.now += 0.1
    assert cache.get("a") is None and len(cache) == 0


def test_a_read_that_overlapped_a_change_is_not_remembered(ticker: Ticker) -> None:
    cache: SessionCache[str] = SessionCache(10)
    before = cache.generation()  # a request starts its query ...
    cache.forget("other")  # ... while another request revokes a session
    cache.put("a", _entry(1, ticker.now), before)
    assert cache.get("a") is None


def test_a_changed_user_is_not_remembered_until_its_transaction_can_have_committed(
    ticker: Ticker,
) -> None:
    cache: SessionCache[str] = SessionCache(60)
    cache.put("a", _entry(1, ticker.now), cache.generation())
    cache.put("b", _entry(2, ticker.now), cache.generation())
    cache.forget_user(1)
    assert cache.get("a") is None and cache.get("b") is not None
    cache.put("a", _entry(1, ticker.now), cache.generation())  # read before the writer committed
    assert cache.get("a") is None
    ticker.now += GRACE_S
    cache.put("a", _entry(1, ticker.now), cache.generation())
    assert cache.get("a") is not None


def test_the_cache_is_bounded_and_off_at_zero(ticker: Ticker) -> None:
    cache: SessionCache[str] = SessionCache(60, max_entries=3)
    for n in range(5):
        cache.put(f"s{n}", _entry(n, ticker.now), cache.generation())
    assert len(cache) == 3 and cache.get("s0") is None and cache.get("s4") is not None
    off: SessionCache[str] = SessionCache(0)
    off.put("a", _entry(1, ticker.now), off.generation())
    assert off.get("a") is None and not off.enabled


@contextmanager
def session_queries(portal: Portal) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        if "sessions" in str(args[2]):
            seen.append(str(args[2]))

    event.listen(portal.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(portal.engine, "before_cursor_execute", record)


def test_a_second_page_view_asks_the_database_nothing_about_the_session(
    logged_in: Open, portal: Portal
) -> None:
    ana = logged_in("ana")
    with session_queries(portal) as first:
        assert ana.get("/phases").status_code == 200
    with session_queries(portal) as second:
        assert ana.get("/phases").status_code == 200
    assert len(first) == 1 and second == []


def test_disabling_a_learner_ends_a_cached_session_at_once(logged_in: Open, portal: Portal) -> None:
    ana = logged_in("ana")
    assert ana.get("/me").status_code == 200  # cached now
    with portal.engine.begin() as conn:
        user = accounts.find_user(conn, "ana")
        assert user is not None
        accounts.disable_user(portal, conn, user.id, actor_id=None)
    assert ana.get("/me", follow_redirects=False).status_code == 303


def test_a_revocation_the_process_was_not_told_of_bites_within_the_ttl(
    logged_in: Open, portal: Portal, ticker: Ticker
) -> None:
    """Another process (a second worker, the CLI) writes the database directly: this one notices once its
    memory of the session is older than `session_cache_s`."""
    ana = logged_in("ana")
    assert ana.get("/me").status_code == 200
    with portal.engine.begin() as conn:
        conn.execute(update(sessions_table).values(revoked_at=portal.now()))
    assert ana.get("/me", follow_redirects=False).status_code == 200  # still remembered
    ticker.now += portal.settings.session_cache_s
    assert ana.get("/me", follow_redirects=False).status_code == 303
