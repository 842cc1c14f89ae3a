"""`/metrics`: absent unless a token is configured, then only for its bearer; counts routes by template and
logins by result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from miniportal.app import create_app
from miniportal.service import Portal

from .conftest import MakeUser, csrf_of

TOKEN = "t" * 24  # noqa: S105  # a test token


@pytest.fixture
def client(portal: Portal) -> Iterator[TestClient]:
    app = create_app(portal.settings.with_(metrics_token=TOKEN), portal=portal)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def _values(text: str) -> dict[str, float]:
    rows = (line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {name: float(value) for name, value in rows}


def test_without_a_token_there_is_no_metrics_page(app_client: TestClient) -> None:
    assert app_client.get("/metrics").status_code == 404


def test_only_the_tokens_bearer_reads_the_metrics(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_requests_are_counted_by_route_template_and_logins_by_result(
    client: TestClient, make_user: MakeUser
) -> None:
    make_user("ana")
    client.get("/phases/07")
    client.get("/phases/11")
    token = csrf_of(client, "/login")
    client.post(
        "/login", data={"username": "ana", "password": "wrong password!", "csrf_token": token}
    )
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    values = _values(text)
    phase_pages = [
        v
        for k, v in values.items()
        if k.startswith("lynx_http_requests_total{") and "/phases/{" in k
    ]
    assert sum(phase_pages) == 2  # one series for both pages: the template, not the raw path
    assert values['lynx_portal_logins_total{result="failure"}'] == 1
    assert (
        "lynx_portal_db_pool_size" in text and "lynx_http_request_duration_seconds_bucket" in text
    )
    assert not any("/metrics" in k for k in values)  # the scrape does not count itself
