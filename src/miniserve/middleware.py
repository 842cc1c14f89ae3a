"""The service's own ASGI middlewares: concurrency cap, rate limit, body cap (request ids, metrics, access logs
and traces come from `miniobserve`, outside them).

They are plain ASGI callables (not `BaseHTTPMiddleware`), so a streamed response passes through untouched and
a refusal is written before the app reads a byte. `miniserve.app.install_middlewares` stacks them; the
outermost runs first:

    request id → span → access log → metrics (miniobserve) → concurrency cap → rate limit → body cap → (FastAPI)

so every answer, a 413 or a 429 included, carries `X-Request-ID` and is counted, and a client over its rate
is refused before its body is read.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from lynx_cortex.asgi import BodyTooLargeError, read_body, replay
from miniobserve.context import request_id_var
from miniserve.metrics import ServeMetrics as Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("lynx.serve")


def request_id_of(scope: Scope) -> str:
    """The id `miniobserve`'s request-id middleware gave this request ('-' outside one)."""
    return request_id_var.get() or "-"


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


class TokenBucket:
    """`rate` tokens per second up to `burst`; a request takes one (thread-safe, monotonic clock)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 if the request may go, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget full buckets: they equal a new client's
                for key in [k for k, (t, _) in self._buckets.items() if t >= self.burst]:
                    del self._buckets[key]
            return (1.0 - tokens) / self.rate


class RateLimitMiddleware:
    """Per-client (peer address) token bucket on `/v1/*`: 429 with `Retry-After` when the bucket is empty."""

    def __init__(self, app: ASGIApp, rate: float, burst: int, metrics: Metrics) -> None:
        self.app = app
        self.bucket = TokenBucket(rate, burst) if rate > 0 else None
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.bucket is None or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("unknown", 0)
        wait = self.bucket.take(str(client[0]))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self.metrics.reject("rate_limit")
        retry = max(1, math.ceil(wait))
        await send_json(
            send,
            429,
            {
                "error": "rate_limited",
                "detail": f"too many requests from this client; retry in {retry} s",
                "request_id": request_id_of(scope),
            },
            {"Retry-After": str(retry)},
        )


class ConcurrencyLimitMiddleware:
    """At most `limit` `/v1/*` requests in progress at once; one more is refused at the door (429).

    The schedulers bound their own lines, but a request costs the event loop work before it reaches one
    (parsing, validation, tokenising) and after (the answer). When the loop itself is the bottleneck, requests
    would pile up in front of the schedulers, unseen by their admission control; this cap refuses them before
    any of that work, so overload stays a fast 429 instead of a growing wait.
    """

    def __init__(self, app: ASGIApp, limit: int, metrics: Metrics) -> None:
        self.app = app
        self.limit = limit
        self.active = 0
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if self.active >= self.limit:
            self.metrics.reject("concurrency")
            await send_json(
                send,
                429,
                {
                    "error": "overloaded",
                    "detail": f"{self.limit} requests already in progress; retry in 1 s",
                    "request_id": request_id_of(scope),
                },
                {"Retry-After": "1"},
            )
            return
        self.active += 1  # one event loop: no lock needed
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class BodyLimitMiddleware:
    """413 for a body over `max_bytes`, judged by Content-Length and by the bytes actually received."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, send: Send) -> None:
        await send_json(
            send,
            413,
            {
                "error": "body_too_large",
                "field": "body",
                "detail": f"the request body is larger than {self.max_bytes} bytes",
                "request_id": request_id_of(scope),
            },
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes or declared < 0:
                    await self._refuse(scope, send)
                    return
        try:  # read the whole (small) body here, so an oversized stream is refused before the app
            body = await read_body(receive, self.max_bytes)
        except BodyTooLargeError:
            await self._refuse(scope, send)
            return
        if body is None:  # the client went away
            return
        await self.app(scope, replay(body, receive), send)


__all__ = [
    "BodyLimitMiddleware",
    "ConcurrencyLimitMiddleware",
    "RateLimitMiddleware",
    "TokenBucket",
    "request_id_of",
]
