"""`create_app(settings)`: the portal as a FastAPI application, with no module-level state.

Start-up loads every quiz in `data/quizzes/` (a malformed file stops the portal with its name and item) and checks
that the database schema is current; the schema itself is changed only by `lynx portal migrate`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lynx_cortex.errors import LynxError
from lynx_cortex.quiz import Quiz, load_quizzes
from miniportal.content import PageCache
from miniportal.errors import PortalError
from miniportal.exams import load_exams
from miniportal.hashgate import HashGate
from miniportal.metrics import PortalMetrics, install_metrics
from miniportal.middleware import GuardMiddleware
from miniportal.migrate import current_revision, head_revision
from miniportal.questions import ItemBank
from miniportal.ratelimit import LoginThrottle
from miniportal.routes import (
    admin,
    assess,
    auth,
    cohort,
    journal,
    learners,
    me,
    notes,
    pages,
    review,
    tutor,
)
from miniportal.server import install_log_redaction
from miniportal.service import Portal
from miniportal.settings import PortalSettings
from miniportal.web import LoginRequiredError, context, login_url, page

STATIC = Path(__file__).parent / "static"


def _load_quizzes(folder: Path) -> dict[int, Quiz]:
    return load_quizzes(folder) if folder.is_dir() else {}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    try:
        ctx = getattr(request.state, "ctx", None) or context(request)
    except Exception:  # noqa: BLE001  # the error page must not fail because the database did
        return Response(message, status_code=status, media_type="text/plain")
    return page(ctx, "error.html", status=status, message=message)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(PortalError)
    async def portal_error(request: Request, exc: PortalError) -> Response:
        if isinstance(exc, LoginRequiredError) and request.method == "GET":
            return RedirectResponse(login_url(request), status_code=303)
        response = _error(request, exc.status, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "page not found", 405: "method not allowed for this address"}
        message = messages.get(exc.status_code, str(exc.detail))
        response = _error(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(
            ".".join(str(part) for part in err.get("loc", ())) for err in exc.errors()
        )
        return _error(request, 400, f"invalid request: {where or 'malformed input'}")


def create_app(
    settings: PortalSettings,
    *,
    portal: Portal | None = None,
    check_schema: bool = True,
    tutor_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the portal; `portal` lets tests share an engine or a clock with the app, `tutor_transport` lets
    them answer for the tutor service without a socket."""
    portal = portal if portal is not None else Portal.build(settings)
    if check_schema:
        current, head = current_revision(portal.engine), head_revision()
        if current != head:
            raise LynxError(
                f"the portal database is at revision {current or 'none'}, the code needs {head}; "
                "run `lynx portal migrate`"
            )
    tutor_http = httpx.AsyncClient(timeout=settings.tutor_timeout_s, transport=tutor_transport)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await tutor_http.aclose()

    app = FastAPI(
        title="Lynx Cortex portal",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.tutor_http = tutor_http
    app.state.tutor_url = settings.tutor_url
    app.state.portal = portal
    app.state.quizzes = _load_quizzes(settings.quizzes_dir)
    app.state.bank = ItemBank(app.state.quizzes)
    app.state.exams = load_exams(settings.exams_dir, app.state.bank)
    app.state.pages = PageCache()
    app.state.throttle = LoginThrottle(
        settings.login_limit_per_user, settings.login_limit_per_ip, settings.login_window_s
    )
    app.state.hash_gate = HashGate(
        settings.argon2_slots,
        max_wait_s=settings.argon2_wait_s,
        max_queue=settings.argon2_waiting,
    )
    install_log_redaction()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        pages.router,
        auth.router,
        notes.router,
        journal.router,
        me.router,
        admin.router,
        assess.router,
        review.router,
        cohort.router,
        learners.router,
        tutor.router,
    ):
        app.include_router(router)
    _install_handlers(app)
    app.state.metrics = PortalMetrics(portal.engine)
    install_metrics(app, app.state.metrics, settings.metrics_token)
    app.add_middleware(
        GuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        secure=settings.secure_cookies,
    )
    return app


def create_app_from_env() -> FastAPI:
    """For `uvicorn miniportal.app:create_app_from_env --factory --no-proxy-headers`: settings from
    `LYNX_PORTAL_*`. The process takes the database's serve lock for its lifetime, as `lynx portal serve`
    does. Pass `--no-proxy-headers` (or `--forwarded-allow-ips` with LYNX_PORTAL_TRUSTED_PROXIES): uvicorn's
    own default believes X-Forwarded-For from 127.0.0.1; `lynx portal serve` sets this up by itself."""
    from contextlib import ExitStack

    from miniportal.servelock import serve_lock
    from miniportal.settings import settings_from_env

    settings = settings_from_env()
    app = create_app(settings)
    lock = ExitStack()
    lock.enter_context(serve_lock(settings.database_url))
    app.state.serve_lock = lock  # released when the process exits
    return app
