"""The service's metrics: `miniobserve.Metrics` (HTTP, generation, queue, batch, cost — phase 34's names, the
ones the Grafana dashboard and alert rules query) plus the few series only a server with admission control
has, registered in the same `prometheus_client` registry so one `/metrics` scrape returns them all.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge

from miniobserve import Metrics

#: Series of this service beyond miniobserve's table, as `lynx_serve_<name>`.
GAUGES = ("model_ready", "inflight_sequences", "tutor_waiting", "tutor_cache_hits")


class ServeMetrics:
    def __init__(self, observe: Metrics | None = None) -> None:
        self.observe = observe or Metrics()
        registry = self.observe.registry
        self.rejected = Counter(
            "lynx_serve_rejected",
            "Requests refused by admission control, by reason (rate_limit, concurrency, queue_full)",
            ("reason",),
            registry=registry,
        )
        self._gauges = {
            name: Gauge(
                f"lynx_serve_{name}", f"The service's {name.replace('_', ' ')}", registry=registry
            )
            for name in GAUGES
        }

    def reject(self, reason: str) -> None:
        self.rejected.labels(reason=reason).inc()

    def generated(self, tokens: int, decode_seconds: float, ttft_seconds: float) -> None:
        self.observe.observe_generation(tokens, decode_seconds, ttft_seconds)

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        """Read `read()` at every scrape: `queue_depth` is miniobserve's `lynx_queue_depth`, the rest ours."""
        target = self.observe.queue_depth if name == "queue_depth" else self._gauges[name]
        target.set_function(read)

    def render(self) -> tuple[bytes, str]:
        return self.observe.render()


__all__ = ["GAUGES", "ServeMetrics"]
