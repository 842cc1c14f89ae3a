"""Server spans per request, children through the global API, propagation, sampling, exporter errors."""

from __future__ import annotations

import importlib
from typing import Any

import httpx
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests.miniobserve.conftest import Stack, toy_app

from miniobserve import ObserveError, setup_tracing, span
from miniobserve.tracing import current_ids

pytestmark = pytest.mark.anyio


async def test_one_server_span_per_request_named_by_route_with_its_child(stack: Stack) -> None:
    async with stack.client() as client:
        response = await client.get("/v1/items/42")
    spans = stack.tracing.finished_spans()
    (server,) = [
        s for s in spans if s.kind == SpanKind.SERVER
    ]  # FastAPI's own span, annotated, not doubled
    child = next(s for s in spans if s.name == "db.lookup")
    assert server.name == "GET /v1/items/{item_id}"
    assert server.attributes is not None and child.attributes is not None
    assert server.attributes["http.route"] == "/v1/items/{item_id}"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["lynx.request_id"] == response.headers["x-request-id"]
    assert child.attributes["item"] == 42
    assert child.parent is not None
    parents = {s.context.span_id: s.parent.span_id if s.parent else None for s in spans}
    ancestor = child.parent.span_id
    while ancestor != server.context.span_id:  # db.lookup sits under FastAPI's endpoint span
        ancestor = parents[ancestor]
        assert ancestor is not None
    assert child.context.trace_id == server.context.trace_id
    assert response.headers["x-trace-id"] == format(server.context.trace_id, "032x")
    assert server.resource.attributes["service.name"] == "toy"


async def test_a_crash_marks_the_span_as_error_with_the_exception(stack: Stack) -> None:
    async with stack.client() as client:
        assert (await client.get("/boom")).status_code == 500
        assert (await client.get("/unavailable")).status_code == 503
    by_name = {s.name: s for s in stack.tracing.finished_spans()}
    crashed = by_name["GET /boom"]
    assert crashed.status.status_code == StatusCode.ERROR
    assert [e.name for e in crashed.events] == ["exception"]
    assert crashed.events[0].attributes is not None
    assert crashed.events[0].attributes["exception.type"] == "RuntimeError"
    assert by_name["GET /unavailable"].status.status_code == StatusCode.ERROR


async def test_an_incoming_traceparent_is_continued(stack: Stack) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with stack.client() as client:
        response = await client.get(
            "/v1/items/1", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}
        )
    server = next(s for s in stack.tracing.finished_spans() if s.kind == SpanKind.SERVER)
    assert format(server.context.trace_id, "032x") == trace_id == response.headers["x-trace-id"]
    assert server.parent is not None and format(server.parent.span_id, "016x") == parent_id


async def test_sample_ratio_zero_records_nothing_but_still_returns_a_trace_id() -> None:
    from miniobserve import instrument

    tracing = setup_tracing("toy", exporter="memory", sample_ratio=0.0)
    try:
        app = toy_app()
        instrument(app, tracing=tracing, logging=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
            response = await client.get("/v1/items/1")
        assert len(response.headers["x-trace-id"]) == 32
        assert tracing.finished_spans() == ()
    finally:
        tracing.shutdown()


def starlette_app() -> Starlette:
    """A plain Starlette app: no native telemetry, so the middleware opens the server span itself."""

    async def item(request: Request) -> JSONResponse:
        with span("db.lookup"):
            return JSONResponse({"item": request.path_params["item_id"]})

    async def boom(request: Request) -> JSONResponse:
        raise RuntimeError("crashed")

    return Starlette(routes=[Route("/items/{item_id:int}", item), Route("/boom", boom)])


async def test_on_a_plain_starlette_app_the_middleware_opens_the_server_span() -> None:
    from miniobserve import instrument

    tracing = setup_tracing("plain", exporter="memory")
    try:
        app = starlette_app()
        instrument(app, tracing=tracing, logging=False)
        trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://plain") as client:
            plain = await client.get("/items/5")
            joined = await client.get(
                "/items/6", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"}
            )
            crashed = await client.get("/boom")
        assert crashed.status_code == 500
        servers = [s for s in tracing.finished_spans() if s.kind == SpanKind.SERVER]
        assert [s.name for s in servers] == ["GET /items/{item_id:int}"] * 2 + ["GET /boom"]
        assert all(s.instrumentation_scope.name == "miniobserve" for s in servers)
        first, second, failed = servers
        assert plain.headers["x-trace-id"] == format(first.context.trace_id, "032x")
        assert first.parent is None
        assert joined.headers["x-trace-id"] == trace_id
        assert second.parent is not None and format(second.parent.span_id, "016x") == parent_id
        assert failed.status.status_code == StatusCode.ERROR
        assert failed.events and failed.events[0].name == "exception"
        child = next(s for s in tracing.finished_spans() if s.name == "db.lookup")
        assert child.parent is not None and child.parent.span_id == first.context.span_id
    finally:
        tracing.shutdown()


def test_the_global_api_follows_the_latest_setup_and_goes_quiet_after_shutdown() -> None:
    first = setup_tracing("a", exporter="memory")
    second = setup_tracing("b", exporter="memory")
    with span("work", n=1):
        trace_id, span_id = current_ids()
    assert trace_id is not None and len(trace_id) == 32 and span_id is not None
    assert [s.name for s in second.finished_spans()] == ["work"]
    assert first.finished_spans() == ()
    second.shutdown()
    with span("after-b"):
        pass
    assert [s.name for s in first.finished_spans()] == ["after-b"]
    first.shutdown()
    with span("nowhere"):
        pass
    assert [s.name for s in first.finished_spans()] == [
        "after-b"
    ]  # a shut-down Tracing gets nothing
    assert [s.name for s in second.finished_spans()] == ["work"]


def test_span_records_an_exception_leaving_it() -> None:
    tracing = setup_tracing("t", exporter="memory")
    try:
        with pytest.raises(KeyError), span("lookup"):
            raise KeyError("missing")
        (recorded,) = tracing.finished_spans()
        assert recorded.status.status_code == StatusCode.ERROR
    finally:
        tracing.shutdown()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exporter": "jaeger"}, "exporter must be one of none, console, otlp, memory"),
        ({"sample_ratio": 1.5}, "sample_ratio must be within"),
        ({"sample_ratio": -0.1}, "sample_ratio must be within"),
    ],
)
def test_bad_configuration_is_a_clear_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ObserveError, match=message):
        setup_tracing("t", **kwargs)


def test_otlp_without_its_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def missing(name: str, package: str | None = None) -> Any:
        if name.startswith("opentelemetry.exporter.otlp"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr("miniobserve.tracing.import_module", missing)
    with pytest.raises(ObserveError, match="observe-otlp"):
        setup_tracing("t", exporter="otlp")


def test_finished_spans_needs_the_memory_exporter() -> None:
    tracing = setup_tracing("t", exporter="none")
    try:
        with pytest.raises(ObserveError, match="memory"):
            tracing.finished_spans()
    finally:
        tracing.shutdown()


def test_otlp_with_its_package_builds_a_batching_provider() -> None:
    pytest.importorskip(
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        reason="the observe-otlp extra is not installed (uv sync --extra observe-otlp)",
    )
    tracing = setup_tracing("t", exporter="otlp", endpoint="http://127.0.0.1:9/v1/traces")
    try:
        assert tracing.exporter == "otlp" and tracing.memory is None
    finally:
        tracing.shutdown()
