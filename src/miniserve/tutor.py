"""The grammar tutor behind the service: one worker thread, a bounded line, and a cache of answers.

`GrammarTutor` keeps one decoding model (and its KV cache) per proposer, so corrections run one at a time on
a dedicated thread — never on the event loop, never two at once on the same cache. Waiting corrections are
bounded (`tutor_queue`): one more is `Overloaded` (429), so a flood is refused at the door instead of
queueing into timeouts. The tutor is deterministic (greedy decoding, fixed tables), so the same sentence
always gets the same answer: an LRU of `tutor_cache` answers serves repeats without the model; only
`request_id` and `duration_ms` are fresh per request.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from miniagent.tutor.tutor import Correction, GrammarTutor
from miniobserve import CostTracker
from miniserve.tickets import Overloaded

WARM_UP = "Yesterday she goed to the market."


class TutorService:
    def __init__(self, queue_limit: int, cache_size: int) -> None:
        self.queue_limit = queue_limit
        self.cache_size = cache_size
        self._tutor: GrammarTutor | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tutor")
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.waiting = 0
        self.hits = 0
        self.misses = 0
        self._service_s = 0.1
        self.cost: CostTracker | None = None  # set by the service: what each correction costs

    def load(self) -> None:
        """Build the tutor and answer one sentence, so the model, tables and index are loaded before ready."""
        tutor = GrammarTutor()
        tutor.correct(WARM_UP)
        self._tutor = tutor

    @property
    def sha(self) -> str:
        return self._tutor.proposer.sha if self._tutor is not None else ""

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _cached(self, sentence: str) -> dict[str, Any] | None:
        if not self.cache_size:
            return None
        with self._lock:
            body = self._cache.get(sentence)
            if body is not None:
                self._cache.move_to_end(sentence)
        return body

    def _remember(self, sentence: str, body: dict[str, Any]) -> None:
        if not self.cache_size:
            return
        with self._lock:
            self._cache[sentence] = body
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _costed(self, tutor: GrammarTutor, sentence: str, request_id: str) -> Correction:
        """On the worker thread, so the CPU time charged is this correction's (`time.thread_time`)."""
        if self.cost is None:
            return tutor.correct(sentence, request_id)
        with self.cost.measure():
            return tutor.correct(sentence, request_id)

    async def correct(self, sentence: str, request_id: str) -> tuple[dict[str, Any], bool]:
        """DESIGN §9's object for `sentence`, and whether it came from the cache."""
        started = time.perf_counter()
        cached = self._cached(sentence)
        if cached is not None:
            self.hits += 1
            took = round((time.perf_counter() - started) * 1000, 3)
            return {**cached, "request_id": request_id, "duration_ms": took}, True
        tutor = self._tutor
        if tutor is None:
            raise RuntimeError("the tutor is not loaded yet")
        if self.waiting >= self.queue_limit:
            retry = max(1, min(60, round(self.waiting * self._service_s + 0.5)))
            raise Overloaded("the tutor's queue", retry)
        self.waiting += 1
        context = contextvars.copy_context()  # the worker's log lines keep this request's id
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                self._executor, context.run, self._costed, tutor, sentence, request_id
            )
        finally:
            self.waiting -= 1
        self.misses += 1
        self._service_s = 0.9 * self._service_s + 0.1 * result.duration_ms / 1000
        body = result.to_json()
        self._remember(sentence, body)
        body["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return body, False


__all__ = ["TutorService"]
