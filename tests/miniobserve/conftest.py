"""A toy FastAPI app and its instrumented clients: the library is tested on an app of the shape it serves."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from miniobserve import Metrics, Observability, instrument, setup_tracing, span
from miniobserve.tracing import Tracing

LOGGER = "lynx.test"


def toy_app(metrics: Metrics | None = None) -> FastAPI:
    """Routes with a path parameter, a handled error, an unhandled one, and a probe of the in-flight gauge."""
    app = FastAPI()
    log = logging.getLogger(LOGGER)

    @app.get("/v1/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, Any]:
        log.info("item.read", extra={"item": item_id})
        with span("db.lookup", item=item_id):
            log.info("db.hit")
        return {"item": item_id}

    @app.post("/v1/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        log.info("echo", extra={"sentence": body.get("sentence"), "length": len(str(body))})
        return body

    @app.get("/unavailable")
    async def unavailable() -> None:
        raise HTTPException(503, "try later")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("the handler crashed")

    @app.get("/in-flight")
    async def in_flight() -> dict[str, float | None]:
        value = metrics.sample_value("lynx_http_requests_in_flight") if metrics else None
        return {"in_flight": value}

    return app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Stack:
    app: FastAPI
    obs: Observability
    tracing: Tracing
    logs: io.StringIO

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://toy")

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs.getvalue().splitlines()]


@pytest.fixture
def stack() -> Iterator[Stack]:
    """The toy app with every piece on: fresh metrics, an in-memory tracer, JSON logs into a buffer."""
    from miniobserve.logging import configure_logging

    metrics = Metrics()
    tracing = setup_tracing("toy", exporter="memory")
    logs = io.StringIO()
    logger = configure_logging(LOGGER, stream=logs)
    app = toy_app(metrics)
    obs = instrument(app, metrics=metrics, tracing=tracing, logging=logger, cost=True)
    yield Stack(app, obs, tracing, logs)
    tracing.shutdown()
