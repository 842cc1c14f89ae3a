"""Hole: parallel guesses got past the per-username limit (it was checked before hashing, counted after), so
30 concurrent logins with 29 wrong passwords and the right one got 29 x 401 and a session, never a 429.

Now an attempt is reserved before Argon2 starts: attempts in flight plus recent failures must stay under the
limit (5 per username), so at most five guesses get a verdict however they are timed."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from miniportal.db import audit_log, sessions

GUESSES = 30
LIMIT = 5
# The throttle is in memory, the same whatever the database: SQLite only keeps the suite fast.
pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


async def _burst(kit: Any, base: str, username: str, passwords: list[str]) -> list[httpx.Response]:
    """Every client fetches its CSRF token first; then all the POSTs leave at once."""
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in passwords]
    try:
        tokens = await asyncio.gather(*(c.get("/login") for c in clients))
        return list(
            await asyncio.gather(
                *(
                    c.post(
                        "/login",
                        data={
                            "username": username,
                            "password": pw,
                            "csrf_token": kit.csrf_from(t.text),
                        },
                    )
                    for c, t, pw in zip(clients, tokens, passwords, strict=True)
                )
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def _live_sessions(portal: Any, user_id: int) -> int:
    with portal.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(sessions)
                .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            ).scalar_one()
        )


def test_thirty_concurrent_guesses_get_at_most_five_verdicts(live: Any, kit: Any) -> None:
    with live(argon2=kit.SLOW_CHEAP_ARGON2, login_limit_per_ip=1000) as (base, portal):
        victim = kit.make_user(portal, "victim")
        passwords = [f"wrong guess {i:02d}" for i in range(GUESSES - 1)]
        passwords.insert(random.Random(15).randrange(GUESSES), kit.PASSWORD)
        answers = asyncio.run(_burst(kit, base, "victim", passwords))
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {303, 401, 429}, statuses
    assert statuses[303] + statuses[401] <= LIMIT, (
        statuses
    )  # no more than five passwords were checked
    assert statuses[429] >= GUESSES - LIMIT
    assert all(a.headers.get("retry-after", "").isdigit() for a in answers if a.status_code == 429)
    assert _live_sessions(portal, victim.id) == statuses[303] <= 1


def test_once_the_limit_is_reached_the_right_password_gets_no_session(live: Any, kit: Any) -> None:
    with live(argon2=kit.SLOW_CHEAP_ARGON2, login_limit_per_ip=1000) as (base, portal):
        victim = kit.make_user(portal, "victim")
        wrong = asyncio.run(_burst(kit, base, "victim", [f"guess {i}" for i in range(GUESSES - 1)]))
        statuses = Counter(a.status_code for a in wrong)
        assert statuses == Counter({401: LIMIT, 429: GUESSES - 1 - LIMIT})
        right = asyncio.run(_burst(kit, base, "victim", [kit.PASSWORD]))[0]
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 1
        assert _live_sessions(portal, victim.id) == 0
        with portal.engine.connect() as conn:  # a flood of refusals leaves one audit row, not 25
            flood_rows = conn.execute(
                select(func.count())
                .select_from(audit_log)
                .where(audit_log.c.event == "login.rate_limited")
            ).scalar_one()
    assert flood_rows == 1
