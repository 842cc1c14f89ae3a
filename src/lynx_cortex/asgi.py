"""Reading a request body under a cap, at the ASGI level, for the portal's and the tutor service's guards.

Both refuse an oversized body before any parser runs, whether or not the client sent a Content-Length: the
body is read up to the cap and handed to the app again as one message. (Each guard keeps its own answer: the
portal's plain-text page, the service's JSON naming the field.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


class BodyTooLargeError(Exception):
    """More than the cap arrived."""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body (at most `limit` bytes), None if the client went away first; `BodyTooLargeError`
    as soon as the bytes received pass the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(f"more than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app `body` in one message, then whatever the client sends next."""
    delivered = False

    async def again() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


__all__ = ["BodyTooLargeError", "read_body", "replay"]
