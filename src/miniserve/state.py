"""What one running service holds: settings, model, scheduler, tutor, metrics, and whether it is ready."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits

from miniobserve import CostTracker, Prices
from miniserve.host import ModelHost
from miniserve.metrics import ServeMetrics
from miniserve.scheduler import Scheduler, make_scheduler
from miniserve.settings import ServeSettings
from miniserve.tutor import TutorService

log = logging.getLogger("lynx.serve")


@dataclass
class ServeState:
    settings: ServeSettings
    host: ModelHost
    tutor: TutorService
    metrics: ServeMetrics = field(default_factory=ServeMetrics)
    cost: CostTracker | None = None
    scheduler: Scheduler | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    load_error: str | None = None

    @classmethod
    def build(cls, settings: ServeSettings) -> ServeState:
        state = cls(
            settings=settings,
            host=ModelHost(settings.model),
            tutor=TutorService(settings.tutor_queue, settings.tutor_cache),
        )
        # what a correction costs (CPU time of the tutor's worker at LYNX_USD_PER_CPU_HOUR): phase 34
        state.cost = CostTracker(Prices.from_env(), metrics=state.metrics.observe)
        state.tutor.cost = state.cost
        gauges = {
            "model_ready": lambda: float(state.ready.is_set()),
            "queue_depth": lambda: float(state.scheduler.waiting if state.scheduler else 0),
            "inflight_sequences": lambda: float(state.scheduler.inflight if state.scheduler else 0),
            "tutor_waiting": lambda: float(state.tutor.waiting),
            "tutor_cache_hits": lambda: float(state.tutor.hits),
        }
        for name, read in gauges.items():
            state.metrics.gauge(name, read)
        return state

    def load(self) -> None:
        """Verify and load the model, warm the tutor, start the scheduler; then ready (or record why not)."""
        try:
            # One BLAS thread: the worker's matrices are small, and a second thread spinning against the
            # event loop (and the tutor) on a small machine makes each decode step slower, not faster.
            threadpool_limits(1, user_api="blas")
            self.host.load()
            self.tutor.load()
            scheduler = make_scheduler(self.host.model, self.settings)
            scheduler.on_step = self.metrics.observe.observe_batch
            scheduler.start()
            self.scheduler = scheduler
        except Exception as exc:  # reported by /readyz; /healthz stays up so the cause can be read
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.error("model load failed: %s", self.load_error)
            return
        self.ready.set()
        log.info(
            "ready: model %s sha256 %s, scheduler %s",
            self.settings.model,
            self.host.sha[:12],
            self.settings.scheduler,
        )

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        self.tutor.close()


__all__ = ["ServeState"]
