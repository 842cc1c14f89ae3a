"""`instrument(app, ...)`: metrics, tracing, request ids, access logs and cost on any Starlette/FastAPI app.

Middleware order, outermost first: request id → server span → access log → metrics → the app. The request id
must exist before the span starts (the span records it) and the span before the access log line (the line
records the span's ids); metrics sit innermost so they time the app, not our own middleware.
"""

from __future__ import annotations

import logging as stdlib_logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from miniobserve.cost import CostTracker
from miniobserve.logging import AccessLogMiddleware, RequestIdMiddleware, configure_logging
from miniobserve.metrics import Metrics, MetricsMiddleware
from miniobserve.tracing import Tracing, TracingMiddleware

METRICS_PATH = "/metrics"


@dataclass(frozen=True)
class Observability:
    """What `instrument` wired, for the app's own code to use (record tokens, queue depth, cost...)."""

    metrics: Metrics | None
    tracing: Tracing | None
    logger: stdlib_logging.Logger | None
    cost: CostTracker | None


def instrument(
    app: Starlette,
    *,
    metrics: Metrics | bool = True,
    tracing: Tracing | None = None,
    logging: stdlib_logging.Logger | bool = True,
    cost: CostTracker | bool = False,
    metrics_path: str = METRICS_PATH,
) -> Observability:
    """Add the middlewares (request ids always) and, with metrics, a `GET metrics_path` route.

    `True` builds the default piece (a fresh `Metrics`, the `lynx` JSON logger, a `CostTracker` at the default
    prices that exports to the metrics); an object uses that one; `False`/`None` leaves the piece out. Call it
    before the app starts serving (Starlette freezes its middleware stack on the first request).
    """
    chosen_metrics = Metrics() if metrics is True else (metrics or None)
    logger = configure_logging() if logging is True else (logging or None)
    tracker = CostTracker(metrics=chosen_metrics) if cost is True else (cost or None)
    if chosen_metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=chosen_metrics, skip=(metrics_path,))
        app.add_route(metrics_path, _metrics_endpoint(chosen_metrics), include_in_schema=False)
    if logger is not None:
        app.add_middleware(AccessLogMiddleware, logger=logger, skip=(metrics_path,))
    if tracing is not None:
        app.add_middleware(TracingMiddleware, tracing=tracing)
    app.add_middleware(RequestIdMiddleware)  # added last: Starlette runs the last added first
    return Observability(chosen_metrics, tracing, logger, tracker)


def _metrics_endpoint(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def scrape(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, headers={"Content-Type": content_type})

    return scrape


__all__ = ["METRICS_PATH", "Observability", "instrument"]
