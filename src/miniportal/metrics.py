"""`/metrics` for the teacher's sysadmin: the portal's requests, logins, rate-limit hits and database pool in
Prometheus format, through phase 34's `miniobserve.Metrics` (its own registry, route templates as labels).

The page is off unless `LYNX_PORTAL_METRICS_TOKEN` is set, and then answers only `Authorization: Bearer <token>`:
behind a proxy every request comes from 127.0.0.1, so "loopback only" would not keep the public out, and route
counts and login failure rates are worth hiding from an attacker probing the login.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import Counter, Gauge
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from miniobserve.metrics import Metrics, MetricsMiddleware

PATH = "/metrics"


class PortalMetrics:
    def __init__(self, engine: Engine) -> None:
        self.observe = Metrics()
        registry = self.observe.registry
        self.logins = Counter(
            "lynx_portal_logins",
            "Login attempts by result: success, failure, rate_limited",
            ("result",),
            registry=registry,
        )
        pool = engine.pool
        checked_out = Gauge(
            "lynx_portal_db_connections_in_use",
            "Database connections checked out of the pool",
            registry=registry,
        )
        checked_out.set_function(
            lambda: float(pool.checkedout()) if isinstance(pool, QueuePool) else 0.0
        )
        size = Gauge(
            "lynx_portal_db_pool_size", "Connections the pool keeps open", registry=registry
        )
        size.set_function(lambda: float(pool.size()) if isinstance(pool, QueuePool) else 0.0)

    def login(self, result: str) -> None:
        self.logins.labels(result=result).inc()


def install_metrics(app: FastAPI, metrics: PortalMetrics, token: str | None) -> None:
    """Count every request (outermost but the guard) and serve `/metrics` to the token's holder only."""
    app.add_middleware(MetricsMiddleware, metrics=metrics.observe, skip=(PATH,))

    @app.get(PATH, include_in_schema=False)
    async def scrape(request: Request) -> Response:
        if token is None:
            return Response("page not found", status_code=404, media_type="text/plain")
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return Response(
                "a bearer token is required",
                status_code=401,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"},
            )
        body, content_type = metrics.observe.render()
        return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


__all__ = ["PATH", "PortalMetrics", "install_metrics"]
