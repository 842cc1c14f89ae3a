"""A per-process memory of sessions the database has just vouched for, so most page views skip that query.

Looking the session up was the largest single cost of a page view (one joined SELECT through SQLAlchemy per
request). A validated session is remembered for `ttl_s` seconds under its token id; expiry is still checked on
every hit, and a hit that is due for its rolling-expiry touch goes to the database as before.

Revocation stays immediate within this process: every write that ends a session or changes what a session
carries (revoke, revoke-all, disable, password or invite redemption, profile edits) calls `forget_user`, which
drops that user's entries and refuses to remember them again for `GRACE_S` seconds, long enough for the writing
transaction to commit (a reader that started before the commit could otherwise store the old row). A generation
counter covers the remaining case, a read that started before the change and ended after the grace. Another
process (a second uvicorn worker, `lynx portal` on the command line) is not told: there a revocation takes effect
within `ttl_s` (`LYNX_PORTAL_SESSION_CACHE_S`, default 10 s; 0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

GRACE_S = 5.0  # the SQLite busy timeout: no writing transaction here stays open longer and commits
MAX_ENTRIES = 10_000

S = TypeVar("S")


@dataclass(frozen=True)
class Cached(Generic[S]):
    session: S
    user_id: int
    last_seen_at: datetime
    expires_at: datetime
    absolute_expires_at: datetime
    stored_at: float  # time.monotonic()


class SessionCache(Generic[S]):
    """Token id → the session the database last returned for it; thread-safe (sync handlers run in threads)."""

    def __init__(self, ttl_s: float, *, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl_s = float(ttl_s)
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Cached[S]] = OrderedDict()
        # "u<user id>" / "s<token id>" → nothing of theirs is remembered before this monotonic time
        self._quiet_until: dict[str, float] = {}
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def generation(self) -> int:
        """Read before querying the database; pass to `put`, which refuses if anything changed meanwhile."""
        return self._generation

    def get(self, sid: str) -> Cached[S] | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at >= self.ttl_s:
                del self._entries[sid]
                return None
            return entry

    def put(self, sid: str, entry: Cached[S], generation: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            if generation != self._generation:
                return
            now = time.monotonic()
            if now < max(
                self._quiet_until.get(f"u{entry.user_id}", 0.0),
                self._quiet_until.get(f"s{sid}", 0.0),
            ):
                return
            self._entries[sid] = entry
            self._entries.move_to_end(sid)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def _quiet(self, key: str) -> None:
        """Called with the lock held: a change is under way; bump the generation and hold off `key`."""
        self._generation += 1
        now = time.monotonic()
        for stale in [k for k, until in self._quiet_until.items() if until <= now]:
            del self._quiet_until[stale]
        self._quiet_until[key] = now + GRACE_S

    def forget_user(self, user_id: int) -> None:
        """Every session of `user_id` (its row changed, or all its sessions ended)."""
        with self._lock:
            self._quiet(f"u{user_id}")
            for sid in [sid for sid, e in self._entries.items() if e.user_id == user_id]:
                del self._entries[sid]

    def forget(self, sid: str) -> None:
        """One session (it was revoked)."""
        with self._lock:
            self._quiet(f"s{sid}")
            self._entries.pop(sid, None)

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["GRACE_S", "Cached", "SessionCache"]
