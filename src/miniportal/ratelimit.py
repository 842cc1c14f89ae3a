"""Login throttling: sliding windows of failed logins per username and per client address, with attempts in
flight counted before the slow password check runs.

Only failures stay on the books: a class of 50 learners behind one school NAT can all log in, while a
password-guessing script hits the limit after a handful of tries. A guess is *reserved* before Argon2 starts
(`LoginThrottle.begin`): attempts in flight plus recent failures must stay under the limit, so thirty guesses
sent at once get five verdicts, not thirty. The state is in memory, which suits the single-process portal; a
restart forgives everyone, which is acceptable for a limit measured in minutes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Keys are swept for expired entries after this many operations, so a spray of one-off usernames or addresses
#: cannot grow the tables without bound.
SWEEP_EVERY = 1024


class SlidingWindow:
    """Failures per key within `window_s`, plus attempts in flight; not thread-safe on its own (the throttle
    holds one lock around every window it owns)."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, key: str, now: float | None = None) -> int | None:
        """Seconds until `key` may try again, or None if failures plus attempts in flight are under the limit.

        When the limit is reached only because of attempts still in flight, the answer is 1 s: those attempts
        finish within a second or two, and each either frees its slot (a success) or becomes a failure."""
        now = self._clock() if now is None else now
        hits = self._prune(key, now)
        busy = self._in_flight.get(key, 0)
        if len(hits) + busy < self.limit:
            if not hits:
                self._hits.pop(key, None)
            return None
        if len(hits) < self.limit:
            return 1
        return max(1, math.ceil(hits[0] + self.window_s - now))

    def reserve(self, key: str) -> None:
        self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def settle(self, key: str, *, failed: bool, now: float | None = None) -> None:
        """End an attempt reserved with `reserve`; a failure stays in the window."""
        left = self._in_flight.get(key, 0) - 1
        if left > 0:
            self._in_flight[key] = left
        else:
            self._in_flight.pop(key, None)
        if failed:
            when = self._clock() if now is None else now
            self._prune(key, when).append(when)

    def hit(self, key: str) -> None:
        """Record one failure (for callers that did not reserve)."""
        now = self._clock()
        self._prune(key, now).append(now)

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def sweep(self) -> None:
        now = self._clock()
        for key in list(self._hits):
            if not self._prune(key, now):
                del self._hits[key]


@dataclass
class Attempt:
    """A reserved login attempt; end it exactly once with `failed()`, `succeeded()` or `abandoned()`."""

    throttle: LoginThrottle
    keys: tuple[str, ...]
    open: bool = True

    def _end(self, *, failed: bool, forgive_first: bool = False) -> None:
        if self.open:
            self.open = False
            self.throttle._settle(self.keys, failed=failed, forgive_first=forgive_first)

    def failed(self) -> None:
        """The password was checked and was wrong (or the account does not exist)."""
        self._end(failed=True)

    def succeeded(self) -> None:
        """The password was right: the username's failures are forgiven; the address's stay."""
        self._end(failed=False, forgive_first=True)

    def abandoned(self) -> None:
        """No verdict was reached (the server was too busy to check): nothing is counted."""
        self._end(failed=False)


class LoginThrottle:
    """One lock around the per-username and per-address windows, so a reservation is all-or-nothing, and a
    record of when each key last produced a "rate limited" audit row (one per key per window)."""

    def __init__(
        self,
        per_user: int,
        per_ip: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.windows = (
            SlidingWindow(per_user, window_s, clock),
            SlidingWindow(per_ip, window_s, clock),
        )
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._audited: dict[str, float] = {}
        self._operations = 0

    @staticmethod
    def keys(username: str, ip: str | None) -> tuple[str, str]:
        return f"user:{username}", f"ip:{ip or '?'}"

    def begin(self, username: str, ip: str | None) -> Attempt | int:
        """Reserve an attempt, or return the Retry-After seconds when a limit is reached."""
        keys = self.keys(username, ip)
        with self._lock:
            self._tick()
            now = self._clock()
            waits = [
                wait
                for window, key in zip(self.windows, keys, strict=True)
                if (wait := window.retry_after(key, now)) is not None
            ]
            if waits:
                return max(waits)
            for window, key in zip(self.windows, keys, strict=True):
                window.reserve(key)
        return Attempt(self, keys)

    def _settle(self, keys: Sequence[str], *, failed: bool, forgive_first: bool) -> None:
        with self._lock:
            now = self._clock()
            for window, key in zip(self.windows, keys, strict=True):
                window.settle(key, failed=failed, now=now)
            if forgive_first:
                self.windows[0].reset(keys[0])

    def should_audit(self, username: str, ip: str | None) -> bool:
        """True at most once per window for each key that is over its limit: a flood of refused logins
        writes one audit row per key, not one per request, so it cannot bury real events."""
        keys = self.keys(username, ip)
        with self._lock:
            now = self._clock()
            blocked = [
                key
                for window, key in zip(self.windows, keys, strict=True)
                if window.retry_after(key, now) is not None
            ]
            fresh = [k for k in blocked if now - self._audited.get(k, -math.inf) >= self.window_s]
            for key in fresh:
                self._audited[key] = now
            return bool(fresh)

    def _tick(self) -> None:
        self._operations += 1
        if self._operations % SWEEP_EVERY:
            return
        now = self._clock()
        for window in self.windows:
            window.sweep()
        for key, when in list(self._audited.items()):
            if now - when >= self.window_s:
                del self._audited[key]
