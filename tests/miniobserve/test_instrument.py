"""`instrument()` end to end: a real uvicorn server on a socket, a real httpx client, every piece on."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families
from tests.miniobserve.conftest import LOGGER, Stack, toy_app

from miniobserve import Metrics, instrument, setup_tracing
from miniobserve.logging import configure_logging

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(stack: Stack) -> Iterator[tuple[str, Stack]]:
    server = uvicorn.Server(
        uvicorn.Config(stack.app, host="127.0.0.1", port=0, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", stack
    server.should_exit = True
    thread.join(timeout=10)


def test_over_a_real_socket_every_piece_joins_up(served: tuple[str, Stack]) -> None:
    base, stack = served
    with httpx.Client(base_url=base, timeout=10) as client:
        answers = [
            client.get(f"/v1/items/{i}", headers={"X-Request-ID": f"t-{i}"}) for i in range(3)
        ]
        assert client.get("/boom").status_code == 500
        scrape = client.get("/metrics")  # the keep-alive connection survived the crash
    assert all(a.status_code == 200 for a in answers)
    families = {f.name: f for f in text_string_to_metric_families(scrape.text)}
    counted = {
        (s.labels["route"], s.labels["status"]): s.value
        for s in families["lynx_http_requests"].samples
        if s.name.endswith("_total")
    }
    assert counted == {("/v1/items/{item_id}", "200"): 3.0, ("/boom", "500"): 1.0}
    lines = stack.lines()
    for answer in answers:
        mine = [line for line in lines if line["request_id"] == answer.headers["x-request-id"]]
        assert len(mine) == 3
        assert {line["trace_id"] for line in mine} == {answer.headers["x-trace-id"]}
    span_traces = {format(s.context.trace_id, "032x") for s in stack.tracing.finished_spans()}
    assert {a.headers["x-trace-id"] for a in answers} <= span_traces


async def test_defaults_build_each_piece_and_false_leaves_it_out() -> None:
    app = toy_app()
    obs = instrument(app, cost=True)
    assert obs.metrics is not None and obs.logger is not None and obs.cost is not None
    assert obs.cost.metrics is obs.metrics and obs.tracing is None
    bare = toy_app()
    none = instrument(bare, metrics=False, logging=False)
    assert (none.metrics, none.logger, none.cost) == (None, None, None)
    transport = httpx.ASGITransport(app=bare)
    async with httpx.AsyncClient(transport=transport, base_url="http://bare") as client:
        assert (await client.get("/metrics")).status_code == 404
        response = await client.get("/v1/items/1")
    assert len(response.headers["x-request-id"]) == 32  # request ids are always on
    assert "x-trace-id" not in response.headers


async def test_the_cost_tracker_is_exported_at_metrics() -> None:
    metrics = Metrics()
    app = toy_app(metrics)
    tracing = setup_tracing("toy", exporter="none")
    obs = instrument(
        app,
        metrics=metrics,
        tracing=tracing,
        logging=configure_logging(LOGGER, stream=io.StringIO()),
        cost=True,
    )
    assert obs.cost is not None
    obs.cost.record(cpu_seconds=0.2, tokens=40)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://toy") as client:
        text = (await client.get("/metrics")).text
    tracing.shutdown()
    assert "lynx_request_tokens_total 40.0" in text
    assert "lynx_request_cost_usd_count 1.0" in text
