"""Structured JSON log lines that name their request: `request_id`, `trace_id` and `span_id` on every line.

Stdlib `logging` plus our own formatter (no library needed for one JSON object per line). The ids are stamped
onto the record by a filter in the thread that logs, so a handler that formats later or elsewhere still writes
the right ones. The log schema is an interface: phase 34's break removes the ids and shows that two
tenants' interleaved lines can then no longer be told apart.

Learner text never reaches a log line: extra fields named like a body (`sentence`, `prompt`, ...) are
replaced by `[redacted]`; log its length or a hash instead.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any, Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from miniobserve.context import request_id_var
from miniobserve.routes import StatusRecorder, route_template
from miniobserve.tracing import TRACE_HEADER, TRACE_ID_SCOPE_KEY, current_ids

REQUEST_ID_HEADER: Final = "x-request-id"
REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
REDACTED: Final = "[redacted]"
REDACTED_KEYS: Final = frozenset(
    {"sentence", "prompt", "completion", "text", "messages", "body", "password"}
)
#: The attributes every `LogRecord` has; anything else on a record came from `extra=`.
_STANDARD: Final = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_IDS: Final = ("request_id", "trace_id", "span_id")
LOGGED: Final = "_miniobserve_logged"
_ERRORS: Final = logging.getLogger("miniobserve.errors")


def valid_request_id(value: str | None) -> bool:
    """1–64 characters of `[A-Za-z0-9._-]`: safe to echo in a header and to put in a log line."""
    return value is not None and REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Stamps the current request and trace ids onto each record, in the logging thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        trace_id, span_id = current_ids()
        record.request_id = request_id_var.get()
        record.trace_id = trace_id
        record.span_id = span_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, event, the three ids, then the record's extras.

    `include_ids=False` is phase 34's break (request_id, trace_id and span_id dropped from the schema);
    `redact` names the extra fields whose values are never written.
    """

    def __init__(self, *, include_ids: bool = True, redact: Iterable[str] = REDACTED_KEYS) -> None:
        super().__init__()
        self.include_ids = include_ids
        self.redact = frozenset(redact)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "trace_id"):  # a handler without ContextFilter: read the context now
            ContextFilter().filter(record)
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if self.include_ids:
            for key in _IDS:
                line[key] = getattr(record, key, None)
        for key, value in vars(record).items():
            if key in _STANDARD or key in _IDS or key.startswith("_"):
                continue
            line[key] = REDACTED if key in self.redact else value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(
    name: str = "lynx",
    *,
    level: int = logging.INFO,
    stream: IO[str] | None = None,
    include_ids: bool = True,
) -> logging.Logger:
    """Logger `name` writing JSON lines to `stream` (stderr by default); calling it again replaces the
    handler it installed before, so tests and labs can reconfigure freely."""
    logger = logging.getLogger(name)
    for handler in [h for h in logger.handlers if getattr(h, "_miniobserve", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(include_ids=include_ids))
    handler.addFilter(ContextFilter())
    handler._miniobserve = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


class RequestIdMiddleware:
    """`X-Request-ID` in (kept when valid, else replaced by a fresh id), echoed out, and set in the context
    for every log line and span of the request. It also answers an unhandled exception (a JSON 500 with both
    ids), since it is the outermost of our middlewares. A caller-chosen id lets a client join its own logs to ours;
    an invalid one (too long, odd characters) could forge log lines or headers, so it is never echoed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next(
            (
                value.decode("latin-1")
                for name, value in scope.get("headers", ())
                if name.lower() == REQUEST_ID_HEADER.encode()
            ),
            None,
        )
        request_id = sent if sent is not None and valid_request_id(sent) else new_request_id()
        token = request_id_var.set(request_id)
        started = False

        async def echo(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != REQUEST_ID_HEADER.encode()
                ]
                message["headers"] = [*kept, (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, echo)
        except Exception as exc:
            # Starlette's outermost handler would answer this 500 without our header, and re-raising after a
            # complete response makes uvicorn close the keep-alive connection under the client. So the crash
            # is answered here, with the ids, logged once, and not re-raised.
            if started:  # a streamed body broke midway: nothing left to answer with
                raise
            if not getattr(exc, LOGGED, False):
                _ERRORS.error("unhandled exception", exc_info=exc)
            trace_id = scope.get(TRACE_ID_SCOPE_KEY)
            error = JSONResponse(
                # the shape of every error body of ours (`error`, `detail`) — the id is what to quote
                {
                    "error": "internal",
                    "detail": "an internal error; quote the request id",
                    "request_id": request_id,
                },
                status_code=500,
                headers={TRACE_HEADER: trace_id} if trace_id else None,
            )
            await error(scope, receive, echo)
        finally:
            request_id_var.reset(token)


class AccessLogMiddleware:
    """One `request.completed` line per request (route template, method, status, duration_ms), or a
    `request.failed` line with the exception when the app raised; it sits inside the tracing middleware so
    both lines carry the request's trace and span ids."""

    def __init__(self, app: ASGIApp, logger: logging.Logger, skip: Iterable[str] = ()) -> None:
        self.app = app
        self.logger = logger
        self.skip = frozenset(skip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        except Exception as exc:
            self.logger.exception("request.failed", extra=self._fields(scope, 500, started))
            setattr(exc, LOGGED, True)  # RequestIdMiddleware answers it without logging it twice
            raise
        status = recorder.status
        level = logging.ERROR if status >= 500 else logging.INFO
        self.logger.log(level, "request.completed", extra=self._fields(scope, status, started))

    @staticmethod
    def _fields(scope: Scope, status: int, started: float) -> dict[str, Any]:
        return {
            "route": route_template(scope),
            "method": scope["method"],
            "status": status,
            "duration_ms": round(1000 * (time.perf_counter() - started), 3),
        }


__all__ = [
    "REDACTED",
    "REDACTED_KEYS",
    "REQUEST_ID_HEADER",
    "AccessLogMiddleware",
    "ContextFilter",
    "JsonFormatter",
    "RequestIdMiddleware",
    "configure_logging",
    "new_request_id",
    "valid_request_id",
]
