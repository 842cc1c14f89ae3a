"""Ask the tutor: the portal's server-side call to the tutor service, and every way that service can fail."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from miniportal import accounts
from miniportal.app import create_app
from miniportal.service import Portal

from .conftest import MakeUser, csrf_of, login

TUTOR = "http://tutor.internal:8765"
REPLY = {
    "request_id": "r1",
    "original": "Yesterday she goed to the market.",
    "in_scope": True,
    "was_correct": False,
    "correction": "Yesterday she went to the market.",
    "verb": "go",
    "tense": "past_simple",
    "person": "3sg",
    "error_type": "overregularization_past",
    "explanation": {
        "en": "Go is irregular: its past is went.",
        "es": "Go es irregular: su pasado es went.",
    },
    "spanish_translation": "Ayer ella fue al mercado.",
    "cited_chunks": ["error-overregularization-past", "irregular-go"],
    "model_sha": "abc",
    "duration_ms": 12.5,
}
Handler = Callable[[httpx.Request], httpx.Response]
Open = Callable[..., TestClient]


@pytest.fixture
def open_with(portal: Portal, make_user: MakeUser) -> Iterator[Callable[..., TestClient]]:
    """A logged-in client of a portal whose tutor answers through `handler` (None: no tutor configured)."""
    clients: list[TestClient] = []

    def make(handler: Handler | None, username: str = "ana", locale: str = "en") -> TestClient:
        settings = portal.settings.with_(tutor_url=TUTOR if handler else None)
        transport = httpx.MockTransport(handler) if handler else None
        app = create_app(settings, portal=portal, tutor_transport=transport)
        user = make_user(username)
        if locale != "en":
            with portal.engine.begin() as conn:
                accounts.update_profile(
                    portal, conn, user.id, display_name=username, locale=locale, timezone="UTC"
                )
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        login(client, username)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _ask(client: TestClient, sentence: str) -> httpx.Response:
    return client.post(
        "/tutor", data={"sentence": sentence, "csrf_token": csrf_of(client, "/tutor")}
    )


def test_a_correction_is_shown_with_the_explanation_in_the_learners_language(
    open_with: Callable[..., TestClient],
) -> None:
    seen: list[httpx.Request] = []

    def tutor(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=REPLY)

    client = open_with(tutor, locale="es")
    page = _ask(client, "  Yesterday she goed to the market.  ")
    assert page.status_code == 200
    assert 'id="tutor-correction">Yesterday she went to the market.<' in page.text
    assert "Go es irregular: su pasado es went." in page.text  # the learner's locale
    assert "Go is irregular" not in page.text
    assert "Ayer ella fue al mercado." in page.text and "irregular-go" in page.text
    (request,) = seen
    assert str(request.url) == f"{TUTOR}/v1/grammar/correct"
    body = json.loads(request.content)
    assert body["sentence"] == "Yesterday she goed to the market."  # stripped, as typed otherwise
    assert request.headers["x-request-id"] == body["request_id"]


def test_an_out_of_scope_sentence_is_declined_not_corrected(
    open_with: Callable[..., TestClient],
) -> None:
    declined = {
        **REPLY,
        "in_scope": False,
        "was_correct": None,
        "correction": None,
        "error_type": None,
        "spanish_translation": None,
        "cited_chunks": [],
        "explanation": {"en": "I only check the 20 verbs.", "es": "Solo reviso los 20 verbos."},
    }
    client = open_with(lambda _: httpx.Response(200, json=declined))
    page = _ask(client, "The cats sleeps.")
    assert page.status_code == 200
    assert "will not guess" in page.text and "I only check the 20 verbs." in page.text
    assert "tutor-correction" not in page.text


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (None, "not connected to this portal"),
        (_down, "not answering right now"),
        (_slow, "took too long"),
        (lambda _: httpx.Response(429, headers={"retry-after": "2"}, json={}), "busy right now"),
        (lambda _: httpx.Response(422, json={"error": "sentence"}), "could not take that sentence"),
        (lambda _: httpx.Response(500, text="boom"), "could not take that sentence"),
        (lambda _: httpx.Response(200, text="<html>not json"), "does not understand"),
        (lambda _: httpx.Response(200, json={**REPLY, "in_scope": "yes"}), "does not understand"),
        (lambda _: httpx.Response(200, json=[REPLY]), "does not understand"),
    ],
    ids=[
        "unconfigured",
        "down",
        "timeout",
        "busy",
        "refused",
        "tutor-500",
        "not-json",
        "bad-type",
        "list",
    ],
)
def test_a_missing_or_failing_tutor_leaves_the_page_up_with_a_reason(
    open_with: Callable[..., TestClient], handler: Handler | None, message: str
) -> None:
    client = open_with(handler)
    page = _ask(client, "She go home.")
    assert page.status_code == 503
    assert message in page.text
    assert 'value="She go home."' in page.text  # the learner's sentence is kept for another try
    assert client.get("/tutor").status_code == 200


def test_the_tutor_page_needs_a_login_a_csrf_token_and_a_sentence_of_at_most_280_characters(
    app_client: TestClient, open_with: Callable[..., TestClient]
) -> None:
    assert (
        app_client.get("/tutor", follow_redirects=False).headers["location"] == "/login?next=/tutor"
    )
    client = open_with(lambda _: httpx.Response(200, json=REPLY))
    assert client.post("/tutor", data={"sentence": "She go."}).status_code == 403
    too_long = client.post(
        "/tutor", data={"sentence": "a" * 281, "csrf_token": csrf_of(client, "/tutor")}
    )
    assert too_long.status_code == 400 and "sentence" in too_long.text
    blank = client.post("/tutor", data={"sentence": "   ", "csrf_token": csrf_of(client, "/tutor")})
    assert blank.status_code == 400 and "sentence" in blank.text
