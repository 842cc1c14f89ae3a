"""The caller's side of a scheduled job: a `Ticket` to await or read token by token, fed by the worker.

The worker thread never touches the event loop's objects directly: it puts events in its `Outbox`, which hands a
whole decode step's events over with one `loop.call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from typing import Any

from miniinfer.continuous import DecodeRequest


class Overloaded(Exception):  # noqa: N818 (a state, not a bug: the HTTP layer turns it into 429)
    """The waiting line is full; `retry_after` (whole seconds) is when a retry has a fair chance."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"{what} is full; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Completion:
    tokens: list[int]
    queue_ms: float  # enqueued → admitted to the model
    service_ms: float  # admitted → last token


class Outbox:
    """Events for the event loop, handed over in one `call_soon_threadsafe` per decode step.

    Waking the loop once per token per request (8 rows → 8 wake-ups a step) costs the loop more than the
    events themselves; one wake-up per step delivers them all, in order.
    """

    def __init__(self) -> None:
        self._items: list[tuple[Ticket, str, Any]] = []

    def put(self, ticket: Ticket, kind: str, value: Any) -> None:
        self._items.append((ticket, kind, value))

    def flush(self) -> None:
        items, self._items = self._items, []
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Ticket, str, Any]]] = {}
        for item in items:
            by_loop.setdefault(item[0].loop, []).append(item)
        for loop, batch in by_loop.items():
            try:
                loop.call_soon_threadsafe(_deliver, batch)
            except RuntimeError:  # the loop closed (server shutting down): nobody is listening
                for ticket, _, _ in batch:
                    ticket.cancelled = True


def _deliver(batch: list[tuple[Ticket, str, Any]]) -> None:
    for ticket, kind, value in batch:
        ticket._events.put_nowait((kind, value))


@dataclass
class Ticket:
    """The caller's side of one job: events come from the worker thread through the loop."""

    job: DecodeRequest
    loop: asyncio.AbstractEventLoop
    enqueued: float = field(default_factory=time.perf_counter)
    started: float | None = None
    first_token: float | None = None  # for the TTFT histogram
    cancelled: bool = False
    _events: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    _tokens: list[int] = field(default_factory=list)
    _result: Completion | None = None

    # ---- worker side (the scheduler's thread; events leave when its outbox is flushed)
    outbox: Outbox | None = None

    def _send(self, kind: str, value: Any) -> None:
        if self.outbox is None:  # pragma: no cover - submit() always sets it
            raise RuntimeError("a ticket needs its scheduler's outbox")
        self.outbox.put(self, kind, value)

    def begin(self) -> None:
        self.started = time.perf_counter()

    def token(self, token: int) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter()
        self._send("token", token)

    def timings(self) -> tuple[float, float]:
        """(decode seconds, time to first token) once finished: admission → now, enqueue → first token."""
        now = time.perf_counter()
        decode = now - (self.started if self.started is not None else self.enqueued)
        ttft = (self.first_token if self.first_token is not None else now) - self.enqueued
        return decode, ttft

    def finish(self) -> None:
        self._send("done", time.perf_counter())

    def fail(self, error: BaseException) -> None:
        self._send("error", error)

    # ---- caller side (the event loop)
    def cancel(self) -> None:
        """The client went away: the worker drops the job at its next look."""
        self.cancelled = True

    async def tokens(self) -> AsyncIterator[int]:
        """Each new token id as the worker produces it; ends after the last one (raises the worker's error)."""
        while self._result is None:
            kind, value = await self._events.get()
            if kind == "token":
                self._tokens.append(int(value))
                yield int(value)
            elif kind == "error":
                raise value
            else:
                started = self.started if self.started is not None else self.enqueued
                self._result = Completion(
                    list(self._tokens),
                    queue_ms=(started - self.enqueued) * 1000,
                    service_ms=(float(value) - started) * 1000,
                )

    async def result(self) -> Completion:
        async for _ in self.tokens():
            pass
        if self._result is None:  # pragma: no cover - tokens() only returns once the result is set
            raise RuntimeError("the ticket ended without a result")
        return self._result

    def __await__(self) -> Generator[Any, None, Completion]:
        return self.result().__await__()


__all__ = ["Completion", "Outbox", "Overloaded", "Ticket"]
