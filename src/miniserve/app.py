"""`create_app(settings) -> FastAPI`: the grammar tutor and the model behind HTTP (phase 33; DESIGN §9).

The app answers `/healthz` at once; the model is verified and loaded on a background thread (started by the
lifespan), and `/readyz` says 503 until it is ready. `install_middlewares` is the one place where request
handling is wrapped: the service's own admission control inside, phase 34's `miniobserve` outside it (request
ids, spans, JSON access logs, Prometheus metrics on `/metrics`). Run it with `lynx serve` or
`uvicorn miniserve.app:create_app_from_env --factory`.
"""

from __future__ import annotations

import logging as stdlib_logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from miniobserve import configure_logging, instrument, setup_tracing
from miniserve.errors import install_error_handlers
from miniserve.middleware import (
    BodyLimitMiddleware,
    ConcurrencyLimitMiddleware,
    RateLimitMiddleware,
)
from miniserve.routes import router
from miniserve.settings import ServeSettings
from miniserve.state import ServeState


def install_middlewares(app: FastAPI, state: ServeState) -> None:
    """The middleware stack, innermost first (Starlette puts each new one outside the previous ones):
    body cap → rate limit → concurrency cap → metrics → access log → span → request id (outermost, so every
    answer, a 413 or 429 included, carries the id and is counted, logged and traced)."""
    settings = state.settings
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        rate=settings.rate_per_s,
        burst=settings.rate_burst,
        metrics=state.metrics,
    )
    app.add_middleware(
        ConcurrencyLimitMiddleware, limit=settings.max_concurrent, metrics=state.metrics
    )
    tracing = (
        setup_tracing("lynx-tutor", settings.tracing, settings.trace_ratio)
        if settings.tracing != "none"
        else None
    )
    # the access log goes to the `lynx` logger; the process entry point decides where that writes
    # (`lynx serve` and `create_app_from_env`: JSON lines on stderr), not every app a test or lab builds
    instrument(
        app,
        metrics=state.metrics.observe,
        tracing=tracing,
        logging=stdlib_logging.getLogger("lynx"),
        cost=state.cost or False,
    )


def create_app(
    settings: ServeSettings | None = None, *, state: ServeState | None = None
) -> FastAPI:
    """The service for `settings` (defaults: `ServeSettings()`); `state` replaces the one built from them
    (tests pass a state whose loading they hold back, to see the app before it is ready)."""
    settings = settings or ServeSettings()
    state = state or ServeState.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = threading.Thread(target=state.load, name="model-load", daemon=True)
        loader.start()
        try:
            yield
        finally:
            loader.join(timeout=60)
            state.close()

    app = FastAPI(
        title="Lynx Cortex tutor",
        summary="The grammar tutor and its model over HTTP (phase 33).",
        lifespan=lifespan,
    )
    app.state.serve = state
    app.include_router(router)
    install_error_handlers(app)
    install_middlewares(app, state)
    return app


def create_app_from_env() -> FastAPI:
    """For `uvicorn --factory`: settings from `LYNX_SERVE_*`, JSON logs at `LYNX_SERVE_LOG_LEVEL`."""
    settings = ServeSettings.from_env()
    configure_logging("lynx", level=getattr(stdlib_logging, settings.log_level.upper()))
    return create_app(settings)


__all__ = ["create_app", "create_app_from_env", "install_middlewares"]
