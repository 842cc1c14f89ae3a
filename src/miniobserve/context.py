"""The request id of the request being served, visible to every log line and span made while serving it.

A `ContextVar` follows the request through `await`s and into the thread pool that runs sync endpoints
(Starlette copies the context there); a task started with `asyncio.create_task` copies it too.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

request_id_var: Final[ContextVar[str | None]] = ContextVar("lynx_request_id", default=None)

__all__ = ["request_id_var"]
