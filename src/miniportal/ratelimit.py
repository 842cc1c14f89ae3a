"""Sliding-window counters for failed logins, per username and per client address.

Only failures count: a class of 50 learners behind one school NAT can all log in, while a password-guessing
script hits the limit after a handful of tries. The state is in memory, which suits the single-process portal;
a restart forgives everyone, which is acceptable for a limit measured in minutes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it is under the limit."""
        now = self._clock()
        with self._lock:
            hits = self._prune(key, now)
            if len(hits) < self.limit:
                if not hits:
                    self._hits.pop(key, None)
                return None
            return max(1, math.ceil(hits[0] + self.window_s - now))

    def hit(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            self._prune(key, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
