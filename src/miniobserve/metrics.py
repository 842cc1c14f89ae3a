"""Prometheus metrics for the tutor service: RED per route, the LLM signals, saturation and cost.

Every `Metrics` owns its own `CollectorRegistry`. The global registry would make two apps in one process (every
test, every lab that compares instrumented with bare) fight over the same metric names. `METRICS` is the one
table of what is exported; the docs table, the dashboard test and the instruments are all built from it.

Buckets are chosen for our latencies, not the client's defaults (which stop at 10 s and start at 5 ms): a tutor
correction takes tens of milliseconds, an unbatched generation seconds, and a queue under load can hold a
request for a minute, so latency buckets run from 1 ms to 60 s, three per decade.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from miniobserve.routes import StatusRecorder, route_template

Kind = Literal["counter", "gauge", "histogram"]

LATENCY_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
TTFT_BUCKETS: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DECODE_BUCKETS: Final = LATENCY_BUCKETS
BATCH_BUCKETS: Final = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
#: USD per request: a self-hosted correction costs ~1e-6 $, an API call ~1e-4 $, a runaway generation cents.
COST_BUCKETS: Final = (1e-7, 3e-7, 1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)

ROUTE_LABELS: Final = ("route", "method", "status")


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric: `name` is the family name (a counter's samples add `_total`)."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()

    @property
    def series(self) -> tuple[str, ...]:
        """The sample names a scrape shows (what PromQL queries), `_created` aside."""
        if self.kind == "counter":
            return (f"{self.name}_total",)
        if self.kind == "histogram":
            return tuple(f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        return (self.name,)


METRICS: Final = (
    MetricSpec("lynx_http_requests", "counter", "HTTP requests served", ROUTE_LABELS),
    MetricSpec(
        "lynx_http_request_duration_seconds",
        "histogram",
        "Wall time from the request in to the last byte of its response out, by route template",
        ROUTE_LABELS,
        LATENCY_BUCKETS,
    ),
    MetricSpec(
        "lynx_http_request_errors",
        "counter",
        "Requests answered 5xx or ended by an unhandled exception (4xx is the caller's error)",
        ("route", "method"),
    ),
    MetricSpec("lynx_http_requests_in_flight", "gauge", "Requests being served right now"),
    MetricSpec(
        "lynx_time_to_first_token_seconds",
        "histogram",
        "Time from admission to the first generated token",
        (),
        TTFT_BUCKETS,
    ),
    MetricSpec("lynx_generated_tokens", "counter", "Tokens the model generated"),
    MetricSpec(
        "lynx_decode_duration_seconds",
        "histogram",
        "Wall time spent decoding one request's tokens (tokens/s = tokens rate / this sum's rate)",
        (),
        DECODE_BUCKETS,
    ),
    MetricSpec("lynx_queue_depth", "gauge", "Requests waiting for the scheduler"),
    MetricSpec("lynx_batch_size", "histogram", "Requests per scheduler step", (), BATCH_BUCKETS),
    MetricSpec(
        "lynx_request_cost_usd",
        "histogram",
        "Cost of one costed request (CPU time and tokens at the configured prices)",
        (),
        COST_BUCKETS,
    ),
    MetricSpec("lynx_cost_usd", "counter", "Spend so far, by component", ("component",)),
    MetricSpec("lynx_request_cpu_seconds", "counter", "CPU seconds spent on costed requests"),
    MetricSpec("lynx_request_tokens", "counter", "Tokens read and written by costed requests"),
)


def exported_series(specs: Iterable[MetricSpec] = METRICS) -> set[str]:
    """Every sample name the specs export (what a dashboard or alert may query)."""
    return {name for spec in specs for name in spec.series}


def markdown_table(specs: Iterable[MetricSpec] = METRICS) -> str:
    """The docs' metric table, generated so it cannot drift from what is exported."""
    rows = ["| metric | type | labels | what |", "|---|---|---|---|"]
    for spec in specs:
        shown = spec.series[0] if spec.kind == "counter" else spec.name
        labels = ", ".join(spec.labels) or "—"
        rows.append(f"| `{shown}` | {spec.kind} | {labels} | {spec.help} |")
    return "\n".join(rows)


class Metrics:
    """The instruments of `METRICS` in a registry of their own, plus helpers with the units spelled out."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._by_name: dict[str, Any] = {}
        for spec in METRICS:
            self._by_name[spec.name] = _instrument(spec, self.registry)
        get = self._by_name.__getitem__
        self.requests: Counter = get("lynx_http_requests")
        self.duration: Histogram = get("lynx_http_request_duration_seconds")
        self.errors: Counter = get("lynx_http_request_errors")
        self.in_flight: Gauge = get("lynx_http_requests_in_flight")
        self.ttft: Histogram = get("lynx_time_to_first_token_seconds")
        self.generated_tokens: Counter = get("lynx_generated_tokens")
        self.decode: Histogram = get("lynx_decode_duration_seconds")
        self.queue_depth: Gauge = get("lynx_queue_depth")
        self.batch_size: Histogram = get("lynx_batch_size")
        self.request_cost: Histogram = get("lynx_request_cost_usd")
        self.cost: Counter = get("lynx_cost_usd")
        self.cpu_seconds: Counter = get("lynx_request_cpu_seconds")
        self.tokens: Counter = get("lynx_request_tokens")

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = {"route": route, "method": method, "status": str(status)}
        self.requests.labels(**labels).inc()
        self.duration.labels(**labels).observe(seconds)
        if status >= 500:
            self.errors.labels(route=route, method=method).inc()

    def observe_generation(self, tokens: int, decode_seconds: float, ttft_seconds: float) -> None:
        """One finished generation: its token count, decode time and time to first token."""
        if tokens < 0 or decode_seconds < 0 or ttft_seconds < 0:
            raise ValueError("tokens and durations cannot be negative")
        self.generated_tokens.inc(tokens)
        self.decode.observe(decode_seconds)
        self.ttft.observe(ttft_seconds)

    def observe_batch(self, size: int) -> None:
        self.batch_size.observe(size)

    def set_queue_depth(self, depth: int) -> None:
        self.queue_depth.set(depth)

    def observe_cost(
        self, cpu_seconds: float, tokens: int, cpu_usd: float, token_usd: float
    ) -> None:
        """One costed request (called by `CostTracker`, which owns the prices)."""
        self.cpu_seconds.inc(cpu_seconds)
        self.tokens.inc(tokens)
        self.cost.labels(component="cpu").inc(cpu_usd)
        self.cost.labels(component="tokens").inc(token_usd)
        self.request_cost.observe(cpu_usd + token_usd)

    def render(self) -> tuple[bytes, str]:
        """The exposition text of this registry and its content type, for a `/metrics` route."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def sample_value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """One sample's current value (None when absent): what tests and labs read back."""
        return self.registry.get_sample_value(name, labels or {})


def _instrument(spec: MetricSpec, registry: CollectorRegistry) -> Any:
    common: dict[str, Any] = {"labelnames": spec.labels, "registry": registry}
    if spec.kind == "counter":
        return Counter(spec.name, spec.help, **common)
    if spec.kind == "gauge":
        return Gauge(spec.name, spec.help, **common)
    return Histogram(spec.name, spec.help, buckets=spec.buckets, **common)


class MetricsMiddleware:
    """Pure ASGI: counts, times and gauges every HTTP request by route template (`skip` paths aside).

    Pure ASGI rather than `BaseHTTPMiddleware` so a streamed response is not buffered, and an exception is
    seen (as a 500) before Starlette's outermost error handler turns it into a response.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, skip: Iterable[str] = ("/metrics",)) -> None:
        self.app = app
        self.metrics = metrics
        self.skip = frozenset(skip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorder = StatusRecorder(send)
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, recorder)
        except BaseException:
            recorder.status = 500
            raise
        finally:
            self.metrics.in_flight.dec()
            self.metrics.observe_request(
                route_template(scope),
                scope["method"],
                recorder.status,
                time.perf_counter() - started,
            )


__all__ = [
    "BATCH_BUCKETS",
    "COST_BUCKETS",
    "LATENCY_BUCKETS",
    "METRICS",
    "TTFT_BUCKETS",
    "MetricSpec",
    "Metrics",
    "MetricsMiddleware",
    "exported_series",
    "markdown_table",
]
