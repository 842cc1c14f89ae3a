"""Holes: (1) an admin's fresh invite for an existing user, once redeemed, left every earlier session of that
user alive, so whoever had the old password stayed logged in; (2) invite tokens were written to access logs
(uvicorn's and the shipped Caddyfile's), so a log reader could set someone's password.

Now redeeming an invite ends every earlier session of the user, and `/invite/<token>` is logged as
`/invite/[redacted]` by uvicorn (a logging filter the app installs) and by Caddy (a `format filter`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from miniportal import operations
from miniportal.server import redact

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NEW_PASSWORD = "a brand new passphrase 15"  # noqa: S105  # test account


def _redeem(client: httpx.Client, kit: Any, path: str) -> httpx.Response:
    token = kit.csrf_from(client.get(path).text)
    return client.post(
        path,
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "csrf_token": token},
    )


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_redeeming_a_fresh_invite_ends_every_earlier_session(live: Any, kit: Any) -> None:
    with live() as (base, portal):
        learner = kit.make_user(portal, "ana")
        kit.make_user(portal, "boss", role="admin")
        phone, laptop, admin = (httpx.Client(base_url=base) for _ in range(3))
        for client, name in ((phone, "ana"), (laptop, "ana"), (admin, "boss")):
            assert kit.login(client, name).status_code == 303
        assert phone.get("/notes").status_code == laptop.get("/notes").status_code == 200
        token = kit.csrf_from(admin.get("/admin").text)
        page = admin.post(f"/admin/users/{learner.id}/invite", data={"csrf_token": token})
        assert page.status_code == 201
        url = re.search(r'<code id="invite-url">([^<]+)</code>', page.text)
        assert url is not None
        with httpx.Client(base_url=base) as stranger:
            redeemed = _redeem(stranger, kit, url.group(1).removeprefix(base))
            assert redeemed.status_code == 303
            assert stranger.get("/notes").status_code == 200  # the redeemer is logged in
        for old in (phone, laptop):
            gone = old.get("/notes")
            assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        assert admin.get("/admin").status_code == 200  # nobody else was logged out
        for client in (phone, laptop, admin):
            client.close()


def test_invite_tokens_never_reach_the_access_log(real_server: Any, kit: Any) -> None:
    _, url, _ = operations.invite(real_server.portal, "newcomer")
    token = url.rsplit("/invite/", 1)[1]
    with real_server.client("127.0.3.1") as client:
        assert _redeem(client, kit, f"/invite/{token}").status_code == 303
        assert client.get(f"/invite/{token}").status_code == 410  # used: still not logged
        forged = client.get("/invite/not-a-real-token?x=1")
        assert forged.status_code == 403
    log = real_server.log.read_text(encoding="utf-8", errors="replace")
    assert "/invite/[redacted]" in log  # the access log is on, and it saw these requests
    assert token not in log and "not-a-real-token" not in log


def test_redaction_covers_every_shape_of_invite_path() -> None:
    token = "ImFiYyI.Z1x2Yw.q-_Qk3n"  # noqa: S105  # the shape of a signed invite token, not a secret
    for line, expected in [
        (f"GET /invite/{token} HTTP/1.1", "GET /invite/[redacted] HTTP/1.1"),
        (f"POST /invite/{token}?next=/x HTTP/1.1", "POST /invite/[redacted]?next=/x HTTP/1.1"),
        (f'"https://p.example/invite/{token}"', '"https://p.example/invite/[redacted]"'),
        ("GET /phases/07 HTTP/1.1", "GET /phases/07 HTTP/1.1"),
    ]:
        assert redact(line) == expected


def test_the_shipped_caddyfile_redacts_invite_paths_in_its_access_log() -> None:
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    log_block = caddy[caddy.index("\tlog {") : caddy.index("\theader {")]
    assert "format filter" in log_block and "wrap json" in log_block
    rule = re.search(r'request>uri regexp "([^"]+)" "([^"]+)"', log_block)
    assert rule is not None, "no request>uri regexp filter in the Caddyfile's log block"
    pattern, replacement = rule.groups()
    # Caddy uses Go's RE2; this pattern is in the subset where Python's `re` behaves the same.
    assert re.sub(pattern, replacement, "/invite/ImFiYyI.Z1x2Yw.q-_Qk3n?a=1") == (
        "/invite/REDACTED?a=1"
    )
    assert re.sub(pattern, replacement, "/phases/07") == "/phases/07"
