"""Login, logout, invites and sessions over HTTP, with the security rules of DESIGN.md §10."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from miniportal import accounts, audit
from miniportal.app import create_app
from miniportal.db import sessions as sessions_table
from miniportal.service import Portal
from miniportal.sessions import SESSION_COOKIE

PASSWORD = "correct horse battery staple"  # noqa: S105  # a test account's password
MakeUser = Callable[..., accounts.User]
Csrf = Callable[[TestClient, str], str]


def _post_login(client: TestClient, csrf: Csrf, username: str, password: str) -> Any:
    token = csrf(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _events(portal: Portal) -> list[str]:
    with portal.engine.connect() as conn:
        return [row.event for row in reversed(audit.recent(portal, conn))]


def test_healthz_answers_without_login(app_client: TestClient) -> None:
    response = app_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and set(body) == {"status", "version", "ts"}


def test_pages_need_a_login(app_client: TestClient) -> None:
    for path in ("/notes", "/journal", "/me", "/admin", "/review", "/exams", "/phases/07/quiz"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def test_login_sets_a_hardened_cookie_and_audits(
    app_client: TestClient, make_user: MakeUser, get_csrf: Csrf, portal: Portal
) -> None:
    make_user("ana")
    response = _post_login(app_client, get_csrf, "ana", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert app_client.get("/me", follow_redirects=False).status_code == 200
    assert _events(portal)[-1] == "login.success"


def test_cookies_are_secure_behind_https(
    portal: Portal, make_user: MakeUser, get_csrf: Csrf
) -> None:
    portal.settings = portal.settings.with_(base_url="https://portal.example.org")
    make_user("ana")
    with TestClient(
        create_app(portal.settings, portal=portal), base_url="https://testserver"
    ) as client:
        response = _post_login(client, get_csrf, "ana", PASSWORD)
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
        assert "Secure" in cookie
        assert "max-age=31536000" in client.get("/healthz").headers["strict-transport-security"]


def test_unknown_user_and_wrong_password_are_byte_identical(
    app_client: TestClient, make_user: MakeUser, get_csrf: Csrf, portal: Portal
) -> None:
    make_user("ana")
    wrong = _post_login(app_client, get_csrf, "ana", "not the password at all")
    unknown = _post_login(app_client, get_csrf, "zoe", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    drop = {"date", "set-cookie"}
    assert {k: v for k, v in wrong.headers.items() if k not in drop} == {
        k: v for k, v in unknown.headers.items() if k not in drop
    }
    assert _events(portal)[-2:] == ["login.failure", "login.failure"]


def test_login_is_rate_limited_per_username(
    app_client: TestClient, make_user: MakeUser, get_csrf: Csrf, portal: Portal
) -> None:
    make_user("ana")
    limit = portal.settings.login_limit_per_user
    for _ in range(limit):
        assert _post_login(app_client, get_csrf, "ana", "wrong password!!").status_code == 401
    blocked = _post_login(app_client, get_csrf, "ana", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= portal.settings.login_window_s
    assert "login.rate_limited" in _events(portal)
    assert (
        _post_login(app_client, get_csrf, "ben", "whatever pass").status_code == 401
    )  # others unaffected


def test_login_is_rate_limited_per_address(
    portal: Portal, make_user: MakeUser, get_csrf: Csrf
) -> None:
    portal.settings = portal.settings.with_(login_limit_per_ip=3)
    with TestClient(
        create_app(portal.settings, portal=portal), base_url="http://testserver"
    ) as client:
        for name in ("u1", "u2", "u3"):
            assert _post_login(client, get_csrf, name, "wrong password!!").status_code == 401
        assert _post_login(client, get_csrf, "u4", "wrong password!!").status_code == 429


def test_post_without_csrf_is_403_everywhere(logged_in: Callable[..., TestClient]) -> None:
    client = logged_in("root", "admin")
    routes = [
        "/login", "/logout", "/locale", "/phases/07/progress", "/notes", "/notes/1/edit",
        "/notes/1/delete", "/journal/2020-01-01", "/me", "/admin/users", "/admin/users/1/invite",
        "/admin/users/1/disable", "/invite/whatever",
    ]  # fmt: skip
    for path in routes:
        for data in ({}, {"csrf_token": "0" * 64}):
            response = client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, data, response.status_code)


def test_a_csrf_token_from_another_session_is_refused(
    logged_in: Callable[..., TestClient], get_csrf: Csrf
) -> None:
    ana, ben = logged_in("ana"), logged_in("ben")
    stolen = get_csrf(ben, "/")
    response = ana.post("/journal/2020-01-01", data={"body": "x", "csrf_token": stolen})
    assert response.status_code == 403


def test_session_id_rotates_at_login_and_logout_revokes(
    app_client: TestClient, make_user: MakeUser, get_csrf: Csrf, portal: Portal
) -> None:
    make_user("ana")
    _post_login(app_client, get_csrf, "ana", PASSWORD)
    first = app_client.cookies[SESSION_COOKIE]
    _post_login(app_client, get_csrf, "ana", PASSWORD)
    second = app_client.cookies[SESSION_COOKIE]
    assert first != second
    with portal.engine.connect() as conn:
        revoked = conn.execute(select(sessions_table.c.revoked_at)).scalars().all()
    assert sorted(r is None for r in revoked) == [False, True]
    token = get_csrf(app_client, "/")
    assert (
        app_client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    app_client.cookies.set(SESSION_COOKIE, second)  # a copied cookie is dead too
    assert app_client.get("/me", follow_redirects=False).status_code == 303
    assert "logout" in _events(portal)


def test_sessions_roll_for_30_days_and_end_at_90(
    app_client: TestClient, make_user: MakeUser, get_csrf: Csrf, clock: Any
) -> None:
    make_user("ana")
    _post_login(app_client, get_csrf, "ana", PASSWORD)
    for _ in range(3):  # active every 29 days: still in after 87 days
        clock.advance(days=29)
        assert app_client.get("/me", follow_redirects=False).status_code == 200
    clock.advance(days=3, minutes=1)  # past the 90-day absolute limit
    assert app_client.get("/me", follow_redirects=False).status_code == 303


def test_an_idle_session_expires_after_30_days(
    app_client: TestClient, make_user: MakeUser, get_csrf: Csrf, clock: Any
) -> None:
    make_user("ana")
    _post_login(app_client, get_csrf, "ana", PASSWORD)
    clock.advance(days=30, minutes=1)
    assert app_client.get("/me", follow_redirects=False).status_code == 303


def test_a_forged_session_cookie_is_ignored(app_client: TestClient) -> None:
    app_client.cookies.set(SESSION_COOKIE, "abc.def")
    assert app_client.get("/me", follow_redirects=False).status_code == 303


def test_invite_flow_over_http(app_client: TestClient, portal: Portal, get_csrf: Csrf) -> None:
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "ana")
        url = accounts.issue_invite(portal, conn, user.id, actor_id=None)
    path = url.removeprefix(portal.settings.base_url)
    form = app_client.get(path)
    assert form.status_code == 200 and 'name="password_confirm"' in form.text
    token = get_csrf(app_client, path)
    mismatch = app_client.post(
        path, data={"password": PASSWORD, "password_confirm": PASSWORD + "x", "csrf_token": token}
    )
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    done = app_client.post(
        path,
        data={"password": PASSWORD, "password_confirm": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (
        app_client.get("/me", follow_redirects=False).status_code == 200
    )  # logged in straight away
    assert app_client.get(path).status_code == 410
    replay = app_client.post(
        path,
        data={
            "password": "x" * 20,
            "password_confirm": "x" * 20,
            "csrf_token": get_csrf(app_client, "/"),
        },
    )
    assert replay.status_code == 410
    assert app_client.get("/invite/not-a-token").status_code == 403
    events = _events(portal)
    assert "invite.redeemed" in events and events.count("invite.rejected") == 2


def test_security_headers_on_every_answer(app_client: TestClient) -> None:
    for path in ("/healthz", "/login", "/nowhere", "/static/portal.css"):
        headers = app_client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_bodies_over_64_kib_are_413(app_client: TestClient, get_csrf: Csrf) -> None:
    token = get_csrf(app_client, "/login")
    big = {"username": "ana", "password": "x" * (64 * 1024), "csrf_token": token}
    assert app_client.post("/login", data=big).status_code == 413

    def chunks() -> Any:  # no Content-Length: the cap still holds
        for _ in range(80):
            yield b"a" * 1024

    response = app_client.post(
        "/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        (
            "post",
            "/login",
            {
                "content": b"\xff\xfe",
                "headers": {"content-type": "multipart/form-data; boundary=x"},
            },
        ),
        ("post", "/login", {"content": b"{}", "headers": {"content-type": "application/json"}}),
        ("post", "/login", {"headers": {"content-length": "abc"}}),
        ("get", "/invite/" + "a" * 300, {}),
        ("get", "/phases/99", {}),
        ("put", "/login", {}),
    ],
)
def test_malformed_requests_get_4xx_never_500(
    logged_in: Callable[..., TestClient], method: str, path: str, kwargs: dict[str, Any]
) -> None:
    client = logged_in("ana")
    response = getattr(client, method)(path, follow_redirects=False, **kwargs)
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_errors_answer_json_to_json_clients(app_client: TestClient) -> None:
    response = app_client.get("/invite/garbage", headers={"accept": "application/json"})
    assert response.status_code == 403
    assert response.json()["status"] == 403 and "invite" in response.json()["error"]
