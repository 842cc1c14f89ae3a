"""Phase 33: three schedulers behind one interface — who decodes which request, and when.

`Scheduler.submit(job)` returns a `Ticket` at once (or raises `Overloaded` when the waiting line is full: the
HTTP layer answers 429 with `Retry-After`, so overload sheds load instead of piling up timeouts). The ticket
is awaitable (the finished `Completion`) and can instead be read token by token (`ticket.tokens()`).

All model work runs on one worker thread per scheduler; the event loop only enqueues jobs and receives events
(`loop.call_soon_threadsafe`), so a decode step never blocks a request being parsed or a health probe.

- `none`: the worker takes one job at a time and runs `miniinfer.generate` on it (the tokens arrive together
  at the end). Throughput is one request's speed; every other request waits in line.
- `static`: the worker waits for a first job, gathers more for up to `max_wait_ms` or until `max_batch`, and
  decodes that batch until every row has finished; arrivals meanwhile wait for the next batch, and a batch's
  answers are released together when its last row finishes (the seed's `run_full_inference(batch)`).
- `continuous`: before *every* decode step the worker admits waiting jobs into free slots (at most
  `max_inflight`), and a finished sequence leaves (and answers) at once — iteration-level scheduling
  (Orca, 2022). Static and continuous share the same kernel (`miniinfer.continuous.ContinuousBatcher`), so
  their difference in the lab is the policy alone.
"""

from __future__ import annotations

import asyncio
import logging
import math
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from miniinfer.continuous import ContinuousBatcher, DecodeRequest, fits
from miniinfer.generate import generate
from minimodel.mini_gpt import MiniGPT
from miniserve.settings import SchedulerName, ServeSettings
from miniserve.tickets import Completion, Outbox, Overloaded, Ticket

_STOP = object()  # the sentinel that ends a worker
log = logging.getLogger("lynx.serve")


class Scheduler(ABC):
    """One worker thread that owns the model's decoding; subclasses choose what it decodes when."""

    name: SchedulerName

    def __init__(self, model: MiniGPT, settings: ServeSettings) -> None:
        self.model = model
        self.settings = settings
        self.context_len = int(model.cfg.context_len)
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._waiting = (
            0  # jobs enqueued and not yet admitted (the event loop and the worker both touch it)
        )
        self._count_lock = threading.Lock()
        self.inflight = 0  # sequences the model holds right now (read by metrics)
        self._service_s = 0.05  # a running mean of one request's service time (for Retry-After)
        self._thread = threading.Thread(
            target=self._guarded, name=f"sched-{self.name}", daemon=True
        )
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self.outbox = Outbox()
        #: Called with the number of sequences in each decode step (the batch-size histogram of phase 34).
        self.on_step: Callable[[int], None] | None = None

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def capacity(self) -> int:
        """Sequences decoded at once."""
        return 1

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._jobs.put(_STOP)  # wakes a worker blocked on an empty line
            self._thread.join(timeout)

    def retry_after(self) -> int:
        """Seconds until the line ahead has likely drained: waiting × service time / parallel rows."""
        return max(1, min(60, math.ceil((self._waiting + 1) * self._service_s / self.capacity)))

    def submit(self, job: DecodeRequest) -> Ticket:
        """Queue `job`; `Overloaded` when `max_queue` jobs already wait (called on the event loop)."""
        if not fits(len(job.prompt), job.max_new_tokens, self.context_len):
            raise ValueError("the prompt and its budget do not fit the model's window")
        if self.failure is not None:
            raise RuntimeError(f"the {self.name} scheduler stopped: {self.failure!r}")
        if self._waiting >= self.settings.max_queue:
            raise Overloaded(f"the {self.name} scheduler's queue", self.retry_after())
        ticket = Ticket(job, asyncio.get_running_loop())
        ticket.outbox = self.outbox
        with self._count_lock:
            self._waiting += 1
        self._jobs.put(ticket)
        return ticket

    def _take(self, block: bool, timeout: float | None = None) -> Ticket | None:
        """The next live job (cancelled ones are dropped); None when there is none in time, or on stop."""
        while not self._stop.is_set():
            try:
                item = self._jobs.get(block=block, timeout=timeout if block else None)
            except queue.Empty:
                return None
            if item is _STOP:
                return None
            ticket: Ticket = item
            with self._count_lock:
                self._waiting -= 1
            if not ticket.cancelled:
                return ticket
        return None

    def _observe(self, ticket: Ticket) -> None:
        if ticket.started is not None:
            seconds = time.perf_counter() - ticket.started
            self._service_s = 0.9 * self._service_s + 0.1 * seconds

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # a bug in decoding must not leave callers waiting forever
            self.failure = exc
            self._fail_all(exc)
            log.critical("the %s scheduler stopped", self.name, exc_info=exc)

    def _fail_all(self, error: BaseException) -> None:
        """Fail every job still waiting (and, in subclasses, decoding): their callers get the error."""
        while True:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Ticket):
                item.fail(error)
        self.outbox.flush()

    @abstractmethod
    def _run(self) -> None:
        """The worker loop; returns when `_STOP` arrives."""


class NoBatchScheduler(Scheduler):
    """One request at a time through `miniinfer.generate`."""

    name: SchedulerName = "none"

    def _run(self) -> None:
        while not self._stop.is_set():
            ticket = self._take(block=True)
            if ticket is None:
                continue
            ticket.begin()
            self.inflight = 1
            if self.on_step is not None:
                self.on_step(1)  # one request, decoded alone
            job = ticket.job
            try:
                ids = generate(
                    self.model,
                    job.prompt,
                    max_new_tokens=job.max_new_tokens,
                    strategy=job.strategy,
                    seed=job.seed,
                    stop_ids=job.stop_ids,
                    mask=job.mask,
                )
            except Exception as exc:  # a mask that empties: that request fails, the server goes on
                ticket.fail(exc)
            else:
                for token in ids:
                    ticket.token(token)
                ticket.finish()
            self.inflight = 0
            self._observe(ticket)
            self.outbox.flush()


class _BatcherScheduler(Scheduler):
    """Shared by static and continuous: a `ContinuousBatcher` and the bookkeeping of its handles."""

    slots: int

    def __init__(self, model: MiniGPT, settings: ServeSettings) -> None:
        super().__init__(model, settings)
        self.batcher = ContinuousBatcher(model, self.slots)
        self._tickets: dict[int, Ticket] = {}

    @property
    def capacity(self) -> int:
        return self.slots

    def _fail_all(self, error: BaseException) -> None:
        for ticket in self._tickets.values():
            ticket.fail(error)
        self._tickets.clear()
        super()._fail_all(error)

    def _admit(self, ticket: Ticket) -> None:
        ticket.begin()
        try:
            handle = self.batcher.admit(ticket.job)
        except Exception as exc:
            ticket.fail(exc)
            self.outbox.flush()
            return
        self._tickets[handle] = ticket
        self.inflight = self.batcher.live

    def _step(self, on_done: Callable[[Ticket], None]) -> None:
        """One decode step; tokens go out at once, a finished ticket to `on_done`."""
        for handle, ticket in list(self._tickets.items()):
            if ticket.cancelled:
                self.batcher.cancel(handle)
                del self._tickets[handle]
        if self.on_step is not None and self.batcher.live:
            self.on_step(self.batcher.live)
        try:
            events = self.batcher.step()
        except (
            Exception
        ) as exc:  # a mask that allows nothing: fail everyone in the step, keep serving
            for handle, ticket in self._tickets.items():
                self.batcher.cancel(handle)
                ticket.fail(exc)
            self._tickets.clear()
            self.inflight = 0
            self.outbox.flush()
            return
        for event in events:
            ticket = self._tickets[event.handle]
            if event.token is not None:
                ticket.token(event.token)
            if event.done:
                del self._tickets[event.handle]
                self._observe(ticket)
                on_done(ticket)
        self.inflight = self.batcher.live
        self.outbox.flush()
        # give the GIL to the event loop between steps: it parses requests and sends answers
        time.sleep(0)


class StaticBatchScheduler(_BatcherScheduler):
    """Gather up to `max_batch` jobs (or `max_wait_ms`), decode them to the end, answer them together."""

    name: SchedulerName = "static"

    def __init__(self, model: MiniGPT, settings: ServeSettings) -> None:
        self.slots = settings.max_batch
        super().__init__(model, settings)

    def _run(self) -> None:
        wait_s = self.settings.max_wait_ms / 1000
        while not self._stop.is_set():
            first = self._take(block=True)
            if first is None:
                continue
            batch = [first]
            deadline = time.perf_counter() + wait_s
            while len(batch) < self.slots:
                left = deadline - time.perf_counter()
                nxt = self._take(block=left > 0, timeout=left)
                if nxt is None:
                    break
                batch.append(nxt)
            for ticket in batch:
                self._admit(ticket)
            finished: list[Ticket] = []
            while self.batcher.live:
                self._step(finished.append)
            for ticket in finished:
                ticket.finish()
            self.outbox.flush()


class ContinuousBatchScheduler(_BatcherScheduler):
    """Admit into free slots before every decode step; a finished sequence answers and leaves at once."""

    name: SchedulerName = "continuous"

    def __init__(self, model: MiniGPT, settings: ServeSettings) -> None:
        self.slots = settings.max_inflight
        super().__init__(model, settings)

    def _run(self) -> None:
        while not self._stop.is_set():
            while self.batcher.free_slots:
                ticket = self._take(block=self.batcher.live == 0)
                if ticket is None:
                    break
                self._admit(ticket)
            if self.batcher.live:
                self._step(Ticket.finish)


SCHEDULER_TYPES: dict[SchedulerName, type[Scheduler]] = {
    "none": NoBatchScheduler,
    "static": StaticBatchScheduler,
    "continuous": ContinuousBatchScheduler,
}


def make_scheduler(model: MiniGPT, settings: ServeSettings) -> Scheduler:
    return SCHEDULER_TYPES[settings.scheduler](model, settings)


__all__ = [
    "SCHEDULER_TYPES",
    "Completion",
    "ContinuousBatchScheduler",
    "NoBatchScheduler",
    "Overloaded",
    "Scheduler",
    "StaticBatchScheduler",
    "Ticket",
    "make_scheduler",
]
