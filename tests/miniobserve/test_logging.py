"""JSON log lines carry request and trace ids; request ids are validated; bodies are redacted."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.miniobserve.conftest import Stack

from miniobserve import setup_tracing, span
from miniobserve.logging import (
    REDACTED,
    JsonFormatter,
    configure_logging,
    valid_request_id,
)

pytestmark = pytest.mark.anyio


async def test_request_id_present(stack: Stack) -> None:
    """Every line a request logs names it, and its trace ids match the X-Trace-Id it was answered with
    (the test phase 34's break turns red)."""
    async with stack.client() as client:
        response = await client.get("/v1/items/3", headers={"X-Request-ID": "req-abc123"})
    assert response.headers["x-request-id"] == "req-abc123"
    lines = stack.lines()
    assert [line["event"] for line in lines] == ["item.read", "db.hit", "request.completed"]
    assert {line["request_id"] for line in lines} == {"req-abc123"}
    assert {line["trace_id"] for line in lines} == {response.headers["x-trace-id"]}
    assert all(len(line["span_id"]) == 16 for line in lines)
    inner = next(line for line in lines if line["event"] == "db.hit")
    outer = next(line for line in lines if line["event"] == "item.read")
    assert inner["span_id"] != outer["span_id"]  # db.hit was logged inside the db.lookup span
    done = lines[-1]
    assert done["route"] == "/v1/items/{item_id}" and done["status"] == 200
    assert done["duration_ms"] >= 0 and done["level"] == "info"


async def test_concurrent_requests_keep_their_own_ids(stack: Stack) -> None:
    async with stack.client() as client:
        responses = await asyncio.gather(
            *(client.get(f"/v1/items/{i}", headers={"X-Request-ID": f"r-{i}"}) for i in range(8))
        )
    by_request: dict[str, set[int]] = {}
    for line in stack.lines():
        if line["event"] == "item.read":
            by_request.setdefault(line["request_id"], set()).add(line["item"])
    assert by_request == {f"r-{i}": {i} for i in range(8)}
    traces = {r.headers["x-trace-id"] for r in responses}
    assert len(traces) == 8


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_request_id_validation(candidate: str) -> None:
    expected = 1 <= len(candidate) <= 64 and all(
        c.isascii() and (c.isalnum() or c in "._-") for c in candidate
    )
    assert valid_request_id(candidate) is expected


@pytest.mark.parametrize(
    "sent",
    [b"x" * 65, b"has space", b"back\\slash", "ñandú".encode(), b"a/b", b"", b"<script>"],
)
async def test_an_invalid_request_id_is_replaced_not_echoed(stack: Stack, sent: bytes) -> None:
    async with stack.client() as client:
        response = await client.get("/v1/items/1", headers={"X-Request-ID": sent})
    echoed = response.headers["x-request-id"]
    assert echoed.encode() != sent and valid_request_id(echoed) and len(echoed) == 32
    assert {line["request_id"] for line in stack.lines()} == {echoed}


async def test_a_missing_request_id_is_generated_fresh_per_request(stack: Stack) -> None:
    async with stack.client() as client:
        ids = [(await client.get("/v1/items/1")).headers["x-request-id"] for _ in range(3)]
    assert len(set(ids)) == 3 and all(valid_request_id(i) for i in ids)


async def test_learner_text_never_reaches_a_log_line(stack: Stack) -> None:
    private = "Yesterday she goed to the market with my password hunter2"
    async with stack.client() as client:
        response = await client.post("/v1/echo", json={"sentence": private})
    assert response.json() == {"sentence": private}
    raw = stack.logs.getvalue()
    assert "goed" not in raw and "hunter2" not in raw
    echo = next(line for line in stack.lines() if line["event"] == "echo")
    assert echo["sentence"] == REDACTED and echo["length"] > 0


async def test_a_crash_is_logged_once_as_request_failed_with_the_error(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    (line,) = stack.lines()
    assert line["event"] == "request.failed" and line["level"] == "error"
    assert line["error"] == "RuntimeError" and "the handler crashed" in line["exception"]
    assert line["request_id"] == response.headers["x-request-id"]
    assert response.json()["request_id"] == line["request_id"]
    assert (
        response.headers["x-trace-id"] == line["trace_id"]
    )  # the crash's 500 still joins its trace


@pytest.mark.parametrize("include_ids", [True, False])
def test_ids_inside_and_outside_a_span_and_the_break_that_drops_them(include_ids: bool) -> None:
    stream = io.StringIO()
    logger = configure_logging("lynx.test.plain", stream=stream, include_ids=include_ids)
    tracing = setup_tracing("t", exporter="memory")
    try:
        logger.info("outside")
        with span("work"):
            logger.warning("inside", extra={"n": 2})
    finally:
        tracing.shutdown()
    outside, inside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["n"] == 2 and inside["level"] == "warning"
    if include_ids:
        assert outside["trace_id"] is None and outside["span_id"] is None
        assert outside["request_id"] is None
        (work,) = tracing.finished_spans()
        assert inside["trace_id"] == format(work.context.trace_id, "032x")
        assert inside["span_id"] == format(work.context.span_id, "016x")
    else:
        ids = {"request_id", "trace_id", "span_id"}
        assert not ids & set(outside) and not ids & set(inside)


def test_reconfiguring_replaces_the_handler_instead_of_doubling_lines() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("lynx.test.again", stream=first)
    logger = configure_logging("lynx.test.again", stream=second)
    logger.info("once")
    assert first.getvalue() == "" and len(second.getvalue().splitlines()) == 1


def test_the_formatter_reads_the_context_when_no_filter_stamped_the_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "hello world" and line["request_id"] is None
    assert line["ts"].endswith("+00:00")


async def test_without_the_access_log_a_crash_is_still_answered_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.miniobserve.conftest import toy_app

    from miniobserve import instrument

    app = toy_app()
    instrument(app, metrics=False, logging=False)
    transport = httpx.ASGITransport(app=app)  # raises app exceptions: none may escape
    with caplog.at_level(logging.ERROR, logger="miniobserve.errors"):
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
            response = await client.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500 and response.headers["x-request-id"] == "crash-1"
    (record,) = [r for r in caplog.records if r.name == "miniobserve.errors"]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


async def test_with_the_access_log_the_crash_is_not_logged_twice(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="miniobserve.errors"):
        async with stack.client() as client:
            assert (await client.get("/boom")).status_code == 500
    assert not [r for r in caplog.records if r.name == "miniobserve.errors"]
    assert [line["event"] for line in stack.lines()] == ["request.failed"]
