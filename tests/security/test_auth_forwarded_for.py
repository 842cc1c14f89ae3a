"""Hole: uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so a client could claim a fresh address
for every guess and never meet the per-address limit.

Now forwarded headers are believed only from `LYNX_PORTAL_TRUSTED_PROXIES` (empty by default); deploy/ sets it
to the Caddy in front. The first test drives `lynx portal serve` itself (per-address limit 3, no proxy trusted);
the second shows the setting does what it says when a proxy is trusted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def _wrong_login(client: httpx.Client, kit: Any, username: str, spoofed: str) -> httpx.Response:
    token = kit.csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": "not the password", "csrf_token": token},
        headers={"X-Forwarded-For": spoofed, "X-Real-IP": spoofed, "Forwarded": f"for={spoofed}"},
    )


def test_spoofed_forwarded_for_does_not_reset_the_per_address_limit(
    real_server: Any, kit: Any
) -> None:
    limit = int(real_server.env["LYNX_PORTAL_LOGIN_LIMIT_PER_IP"])
    with real_server.client("127.0.2.1") as client:
        answers = [
            _wrong_login(client, kit, f"someone{i}", f"203.0.113.{i + 1}") for i in range(limit)
        ]
        assert [a.status_code for a in answers] == [401] * limit
        blocked = _wrong_login(client, kit, "someone-else", "198.51.100.77")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 1
    with real_server.client("127.0.2.2") as other:  # a real other address is still welcome
        assert _wrong_login(other, kit, "someone-else", "198.51.100.77").status_code == 401


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_trusted_proxy_is_believed_and_only_then(live: Any, kit: Any) -> None:
    with (
        live(trusted_proxies=("127.0.0.1",), login_limit_per_ip=2) as (base, _),
        httpx.Client(base_url=base) as client,
    ):
        statuses = [
            _wrong_login(client, kit, f"user{i}", f"192.0.2.{i + 1}").status_code for i in range(4)
        ]  # four different clients behind the proxy: none is limited
        assert statuses == [401] * 4
        again = [_wrong_login(client, kit, f"user{i}", "192.0.2.1").status_code for i in (5, 6)]
        assert again == [401, 429]  # the same client, third failure: limited
