"""A cap on concurrent Argon2 work: a few slots, a short first-come-first-served queue, then a refusal.

Each Argon2id verify holds 64 MiB for a few hundred milliseconds. Without a cap, forty simultaneous logins for
made-up usernames hold 2.5 GiB; with it, memory stays at `slots x 64 MiB` whatever arrives. Requests beyond
the slots wait in arrival order for at most `max_wait_s`, and the queue itself is bounded, so a flood is
answered "busy, retry in a moment" (503 with Retry-After) within seconds instead of piling up.

The gate is used from async route handlers but keeps its state under a `threading.Lock` and wakes waiters
through their own event loop, so it works whichever loop (or test client) serves the request.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from miniportal.errors import PortalError


class BusyError(PortalError):
    """Every Argon2 slot is taken and the queue is full or too slow: retry shortly."""

    status = 503


class _Waiter:
    __slots__ = ("future", "granted", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.granted = False


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class HashGate:
    """`async with gate.slot(): ...` runs the block holding one of `slots`, or raises `BusyError`."""

    def __init__(self, slots: int, *, max_wait_s: float, max_queue: int) -> None:
        if slots < 1 or max_wait_s < 0 or max_queue < 0:
            raise ValueError("slots must be >= 1, max_wait_s and max_queue >= 0")
        self.slots = slots
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self._free = slots
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def retry_after_s(self) -> int:
        return max(1, math.ceil(self.max_wait_s))

    @property
    def in_use(self) -> int:
        with self._lock:
            return self.slots - self._free

    def _busy(self) -> BusyError:
        return BusyError(
            "the server is busy checking other passwords; retry in a moment",
            headers={"retry-after": str(self.retry_after_s)},
        )

    def _release(self) -> None:
        """Hand the slot to the oldest live waiter, or put it back (call with the lock held)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            try:
                waiter.loop.call_soon_threadsafe(_wake, waiter.future)
            except RuntimeError:  # that waiter's loop is closed: it will never run again
                continue
            waiter.granted = True
            return
        self._free += 1

    async def _acquire(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            if len(self._waiters) >= self.max_queue:
                raise self._busy()
            waiter = _Waiter(asyncio.get_running_loop())
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), self.max_wait_s)
        except TimeoutError:
            pass
        except asyncio.CancelledError:  # the client went away while queued
            with self._lock:
                if waiter.granted:
                    self._release()
                else:
                    self._waiters.remove(waiter)
            raise
        with self._lock:
            if waiter.granted:
                return
            self._waiters.remove(waiter)
        raise self._busy()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            with self._lock:
                self._release()
