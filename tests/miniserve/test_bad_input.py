"""The bad-input table: every malformed request is a 4xx JSON naming the field, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.miniserve.conftest import Live, serve

from miniserve.settings import ServeSettings

pytestmark = pytest.mark.xdist_group("miniserve")

CORRECT = "/v1/grammar/correct"
GENERATE = "/v1/generate"
JSON = {"content-type": "application/json"}

# (path, body: dict for JSON / bytes for raw content, extra headers, status, field named)
TABLE: list[tuple[str, Any, dict[str, str], int, str]] = [
    (CORRECT, {}, {}, 422, "sentence"),
    (CORRECT, {"sentence": ""}, {}, 422, "sentence"),
    (CORRECT, {"sentence": "   "}, {}, 422, "sentence"),
    (CORRECT, {"sentence": "x" * 281}, {}, 422, "sentence"),
    (CORRECT, {"sentence": 5}, {}, 422, "sentence"),
    (CORRECT, {"sentence": ["He walk."]}, {}, 422, "sentence"),
    (CORRECT, {"sentence": None}, {}, 422, "sentence"),
    (CORRECT, {"sentence": "He walk\x00s."}, {}, 422, "sentence"),
    (CORRECT, {"sentence": "He walk.", "request_id": "bad id!"}, {}, 422, "request_id"),
    (CORRECT, {"sentence": "He walk.", "request_id": "r" * 65}, {}, 422, "request_id"),
    (CORRECT, {"sentence": "He walk.", "request_id": "abc\n"}, {}, 422, "request_id"),
    (CORRECT, {"sentence": "He walk.", "request_id": 7}, {}, 422, "request_id"),
    (CORRECT, {"sentence": "He walk.", "learner": "x"}, {}, 422, "learner"),
    (CORRECT, b"not json", JSON, 422, "body"),
    (CORRECT, b'{"sentence": "He walk."', JSON, 422, "body"),
    (CORRECT, b"[1, 2]", JSON, 422, "body"),
    (
        CORRECT,
        b"sentence=He+walk",
        {"content-type": "application/x-www-form-urlencoded"},
        422,
        "body",
    ),
    (CORRECT, b"", JSON, 422, "body"),
    (CORRECT, b"{" + b" " * 20_000 + b"}", JSON, 413, "body"),
    (GENERATE, {}, {}, 422, "prompt"),
    (GENERATE, {"prompt": ""}, {}, 422, "prompt"),
    (GENERATE, {"prompt": "He", "max_tokens": 0}, {}, 422, "max_tokens"),
    (GENERATE, {"prompt": "He", "max_tokens": "5"}, {}, 422, "max_tokens"),
    (GENERATE, {"prompt": "He", "max_tokens": 10_000}, {}, 422, "max_tokens"),
    (GENERATE, {"prompt": "He", "max_tokens": 65}, {}, 422, "max_tokens"),
    (GENERATE, {"prompt": "word " * 150, "max_tokens": 8}, {}, 422, "prompt"),
    (GENERATE, {"prompt": "He said", "max_tokens": 64, "framed": True}, {}, 200, ""),
    (GENERATE, {"prompt": "He", "temperature": -1}, {}, 422, "temperature"),
    (GENERATE, {"prompt": "He", "temperature": "hot"}, {}, 422, "temperature"),
    (GENERATE, {"prompt": "He", "seed": -3}, {}, 422, "seed"),
    (GENERATE, {"prompt": "He", "stream": "yes"}, {}, 422, "stream"),
    (GENERATE, {"prompt": "He", "regex": "(ab"}, {}, 422, "regex"),
    (
        GENERATE,
        {"prompt": "He", "regex": "a", "json_schema": {"type": "string"}},
        {},
        422,
        "json_schema",
    ),
    (GENERATE, {"prompt": "He", "json_schema": {"type": "frobnicate"}}, {}, 422, "json_schema"),
    (GENERATE, {"prompt": "He", "json_schema": "object"}, {}, 422, "json_schema"),
]


@pytest.fixture(scope="module")
def strict() -> Iterator[Live]:
    with serve(ServeSettings(scheduler="continuous", max_tokens=64, rate_per_s=0)) as running:
        yield running


@pytest.mark.parametrize(("path", "body", "headers", "status", "field"), TABLE)
def test_bad_input_is_a_4xx_json_naming_the_field(
    strict: Live, path: str, body: Any, headers: dict[str, str], status: int, field: str
) -> None:
    with strict.client() as client:
        if isinstance(body, bytes):
            answer = client.post(path, content=body, headers=headers)
        else:
            answer = client.post(path, json=body, headers=headers)
    assert answer.status_code == status, answer.text
    data = answer.json()
    assert data["request_id"] == answer.headers["x-request-id"]
    if status != 200:
        assert data["field"] == field, data
        assert data["error"] in ("invalid_request", "body_too_large")


def test_unknown_routes_and_methods_are_json(strict: Live) -> None:
    with strict.client() as client:
        missing = client.get("/v1/nothing")
        wrong = client.get(CORRECT)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_the_table_never_reached_the_500_handler(strict: Live) -> None:
    """Run after the table (same module, same server): no request of it was answered with a 500."""
    with strict.client() as client:
        for path, body, headers, _, _ in TABLE:
            if isinstance(body, bytes):
                client.post(path, content=body, headers=headers)
            else:
                client.post(path, json=body, headers=headers)
        text = client.get("/metrics").text
    counted = [line for line in text.splitlines() if line.startswith("lynx_http_requests_total{")]
    answered = [line for line in counted if 'route="/readyz"' not in line]  # 503 while loading
    assert answered and not any('status="5' in line for line in answered), answered
