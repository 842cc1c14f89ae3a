"""Hole: NUL and other control characters in usernames, display names, notes and journal entries were stored
by SQLite and made PostgreSQL answer 500 (it refuses NUL in text).

Now every form field refuses NUL and unpaired surrogates, single-line fields refuse every C0/C1 control and
DEL, and multi-line text (notes, journal) keeps only tab, line feed and carriage return: a 400 naming the
field, the same on both databases, with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from miniportal.db import journal_entries, notes, users

TODAY = datetime.now(UTC).date().isoformat()
JSON = {"accept": "application/json"}

# (page with the form, action, fields, the field the 400 must name)
BAD: list[tuple[str, str, dict[str, str], str]] = [
    ("/me", "/me", {"display_name": "Ana\x00", "locale": "en", "timezone": "UTC"}, "display_name"),
    (
        "/me",
        "/me",
        {"display_name": "Ana\x1b[31m", "locale": "en", "timezone": "UTC"},
        "display_name",
    ),
    (
        "/me",
        "/me",
        {"display_name": "Ana\nBerta", "locale": "en", "timezone": "UTC"},
        "display_name",
    ),
    ("/me", "/me", {"display_name": "Ana", "locale": "en", "timezone": "UTC\x00"}, "timezone"),
    ("/notes", "/notes", {"page": "/phases/07", "anchor": "intro-p1", "body": "a\x00b"}, "body"),
    ("/notes", "/notes", {"page": "/phases/07", "anchor": "intro-p1", "body": "bell\x07"}, "body"),
    ("/notes", "/notes", {"page": "/phases/07", "anchor": "intro-p1", "body": "c1\x85"}, "body"),
    ("/notes", "/notes", {"page": "/phases/07\n", "anchor": "intro-p1", "body": "ok"}, "page"),
    ("/journal", f"/journal/{TODAY}", {"body": "\x00"}, "body"),
    ("/journal", f"/journal/{TODAY}", {"body": "vertical\x0btab"}, "body"),
    ("/journal", f"/journal/{TODAY}", {"body": "del\x7f"}, "body"),
    ("/admin", "/admin/users", {"username": "bob\x00", "role": "student"}, "username"),
    ("/admin", "/admin/users", {"username": "bob\x01", "role": "student"}, "username"),
]


def _counts(portal: Any) -> tuple[int, int, int]:
    with portal.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (users, notes, journal_entries)
        )


@pytest.fixture
def admin_client(live: Any, kit: Any) -> Any:
    with live() as (base, portal):
        kit.make_user(portal, "boss", role="admin")
        with httpx.Client(base_url=base) as client:
            assert kit.login(client, "boss").status_code == 303
            yield client, portal


def test_control_characters_are_a_400_naming_the_field(admin_client: Any, kit: Any) -> None:
    """Every case on one server per database (starting one per case would take a minute)."""
    client, portal = admin_client
    before = _counts(portal)
    for form_page, action, fields, named in BAD:
        token = kit.csrf_from(client.get(form_page).text)
        answer = client.post(action, data={**fields, "csrf_token": token}, headers=JSON)
        assert answer.status_code == 400, (action, fields, answer.text)
        assert answer.json()["error"].startswith(f"field '{named}' must not contain"), answer.text
    assert _counts(portal) == before  # nothing stored
    with portal.engine.connect() as conn:
        name = conn.execute(select(users.c.display_name).where(users.c.username == "boss"))
        assert name.scalar_one() == "boss"


def test_login_with_a_nul_in_the_username_is_a_400_not_a_500(live: Any, kit: Any) -> None:
    with live() as (base, _), httpx.Client(base_url=base) as client:
        token = kit.csrf_from(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"username": "ana\x00", "password": "whatever", "csrf_token": token},
            headers=JSON,
        )
    assert answer.status_code == 400 and "'username'" in answer.json()["error"]


def test_multi_line_text_keeps_tabs_and_line_breaks(admin_client: Any, kit: Any) -> None:
    client, portal = admin_client
    body = "first line\r\n\tindented second line\nthird"
    token = kit.csrf_from(client.get("/notes").text)
    saved = client.post(
        "/notes",
        data={"page": "/phases/07", "anchor": "intro-p1", "body": body, "csrf_token": token},
    )
    assert saved.status_code == 303
    token = kit.csrf_from(client.get("/journal").text)
    assert (
        client.post(f"/journal/{TODAY}", data={"body": body, "csrf_token": token}).status_code
        == 303
    )
    with portal.engine.connect() as conn:
        stored = conn.execute(select(notes.c.body)).scalar_one()
    assert stored == body.replace("\r\n", "\n")
