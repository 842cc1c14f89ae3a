"""Every error the service answers is JSON with the request id; bad input names the field (DESIGN §11).

- validation (pydantic, malformed JSON, wrong types, unknown fields) → 422 `{"error": "invalid_request",
  "field": <first field>, "detail": [{field, message, type}, …]}`; a body that is not JSON → 422 naming `body`;
- `HTTPException` (404, 405, 503 not ready, …) → its status, `{"error", "detail"}`;
- `Overloaded` (a full queue) → 429 with `Retry-After`;
- anything else is a bug → 500 `{"error": "internal"}` with the request id (logged with its traceback); the
  tests check that no bad input of their table ever gets here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from miniobserve.logging import REQUEST_ID_HEADER as HEADER
from miniserve.middleware import request_id_of
from miniserve.tickets import Overloaded

log = logging.getLogger("lynx.serve")


class FieldError(Exception):
    """A request that is well formed but impossible (a grammar that does not compile, a prompt too long)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _field(loc: Sequence[Any]) -> str:
    """`("body", "sentence")` → `sentence`; the body itself (not JSON, not an object) → `body`."""
    parts = [str(p) for p in loc if p != "body" and not isinstance(p, int)]
    return ".".join(parts) or "body"


def _body(request: Request, error: str, **extra: Any) -> dict[str, Any]:
    return {"error": error, **extra, "request_id": request_id_of(request.scope)}


async def on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101  # registered for this type only
    details = [
        {
            "field": _field(e.get("loc", ())),
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    first = details[0]["field"] if details else "body"
    return JSONResponse(
        _body(request, "invalid_request", field=first, detail=details), status_code=422
    )


async def on_field(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FieldError)  # noqa: S101
    detail = [{"field": exc.field, "message": exc.message, "type": "value_error"}]
    return JSONResponse(
        _body(request, "invalid_request", field=exc.field, detail=detail), status_code=422
    )


async def on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    codes = {404: "not_found", 405: "method_not_allowed", 503: "not_ready"}
    return JSONResponse(
        _body(request, codes.get(exc.status_code, "http_error"), detail=exc.detail),
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
    )


async def on_overloaded(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Overloaded)  # noqa: S101
    request.app.state.serve.metrics.reject("queue_full")
    return JSONResponse(
        _body(request, "overloaded", detail=str(exc)),
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    rid = request_id_of(request.scope)
    log.error("unhandled error", exc_info=exc, extra={"request_id": rid})
    return JSONResponse(
        {
            "error": "internal",
            "detail": "an internal error; quote the request id",
            "request_id": rid,
        },
        status_code=500,
        headers={HEADER: rid},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(FieldError, on_field)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Overloaded, on_overloaded)
    app.add_exception_handler(Exception, on_unexpected)


__all__ = ["FieldError", "install_error_handlers"]
