"""What a request costs: the CPU time it used and the tokens it moved, at configurable prices.

CPU time, not wall time: on a shared machine a request that waited for the CPU did not use it, and a batch of
requests served together must not each be charged the whole wall time. `measure()` reads the calling thread's
CPU clock (`time.thread_time`), so wrap the synchronous work of one request (the tutor's `correct`, which a
service runs in a worker thread), not an `async` handler whose event-loop thread interleaves other requests.
A multi-threaded BLAS does its matrix work in its own threads, which the thread clock does not see (measured:
a correction showed 60 ms of thread time against 106 ms of process time with two OpenBLAS threads): serve with
BLAS pinned to one thread per worker (`threadpoolctl`), or pass `clock=time.process_time` when requests are
served one at a time.

Default prices (documented in `docs/phase-34-observability-cost/README.md`): a c5.xlarge-class machine at
$0.17 per hour has 4 vCPUs, so **$0.0425 per CPU-hour**; **$0 per 1k tokens**, because a self-hosted model's
tokens cost nothing beyond the CPU that made them (set a token price to compare with an API, e.g. $0.0006 per
1k output tokens for a GPT-4o-mini-class model). `LYNX_USD_PER_CPU_HOUR` and `LYNX_USD_PER_1K_TOKENS` override.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from miniobserve.errors import ObserveError
from miniobserve.metrics import Metrics

DEFAULT_USD_PER_CPU_HOUR: Final = 0.17 / 4
DEFAULT_USD_PER_1K_TOKENS: Final = 0.0
CPU_PRICE_ENV: Final = "LYNX_USD_PER_CPU_HOUR"
TOKEN_PRICE_ENV: Final = "LYNX_USD_PER_1K_TOKENS"  # noqa: S105 - an env var name, not a secret


@dataclass(frozen=True)
class Prices:
    usd_per_cpu_hour: float = DEFAULT_USD_PER_CPU_HOUR
    usd_per_1k_tokens: float = DEFAULT_USD_PER_1K_TOKENS

    def __post_init__(self) -> None:
        for name in ("usd_per_cpu_hour", "usd_per_1k_tokens"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ObserveError(f"{name} must be a finite price >= 0, got {value}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Prices:
        """The defaults, overridden by `LYNX_USD_PER_CPU_HOUR` / `LYNX_USD_PER_1K_TOKENS` when set."""
        env = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for var, name in (
            (CPU_PRICE_ENV, "usd_per_cpu_hour"),
            (TOKEN_PRICE_ENV, "usd_per_1k_tokens"),
        ):
            raw = env.get(var, "").strip()
            if raw:
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise ObserveError(f"{var}={raw!r} is not a number (a price in USD)") from None
        return cls(**values)

    def cost(self, cpu_seconds: float, tokens: int) -> tuple[float, float]:
        """(USD for the CPU time, USD for the tokens)."""
        return (
            cpu_seconds / 3600.0 * self.usd_per_cpu_hour,
            tokens / 1000.0 * self.usd_per_1k_tokens,
        )


@dataclass
class CostRecord:
    """One request's usage; set `tokens` inside `measure()` once the request knows them."""

    tokens: int = 0
    cpu_seconds: float = 0.0
    usd: float = 0.0


@dataclass
class CostTracker:
    """Per-request CPU seconds and tokens → USD; totals and per-request costs kept for `summary()`, and
    every request exported to `metrics` when given. Safe to share between threads."""

    prices: Prices = field(default_factory=Prices)
    metrics: Metrics | None = None
    clock: Callable[[], float] = time.thread_time
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: Per-request records kept for the quantiles and `usage()`: the last `window` (a service runs for months;
    #: the totals below count every request).
    window: int = 100_000
    _costs: deque[float] = field(default_factory=deque, repr=False)
    _usage: deque[tuple[float, int]] = field(default_factory=deque, repr=False)
    _cpu: float = 0.0
    _tokens: int = 0
    _count: int = 0
    _usd: float = 0.0

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ObserveError(f"window must be >= 1, got {self.window}")
        self._costs = deque(maxlen=self.window)
        self._usage = deque(maxlen=self.window)

    def record(self, cpu_seconds: float, tokens: int) -> float:
        """Account one request; returns its cost in USD."""
        if cpu_seconds < 0 or tokens < 0:
            raise ObserveError("cpu_seconds and tokens cannot be negative")
        cpu_usd, token_usd = self.prices.cost(cpu_seconds, tokens)
        with self._lock:
            self._costs.append(cpu_usd + token_usd)
            self._usage.append((cpu_seconds, tokens))
            self._cpu += cpu_seconds
            self._tokens += tokens
            self._count += 1
            self._usd += cpu_usd + token_usd
        if self.metrics is not None:
            self.metrics.observe_cost(cpu_seconds, tokens, cpu_usd, token_usd)
        return cpu_usd + token_usd

    @contextmanager
    def measure(self, tokens: int = 0) -> Iterator[CostRecord]:
        """Charge the CPU time this thread spends inside the block (plus `record.tokens`) as one request;
        a block that raises is charged too (failed work still burned CPU)."""
        usage = CostRecord(tokens=tokens)
        started = self.clock()
        try:
            yield usage
        finally:
            usage.cpu_seconds = self.clock() - started
            usage.usd = self.record(usage.cpu_seconds, usage.tokens)

    def usage(self) -> tuple[tuple[float, int], ...]:
        """(CPU seconds, tokens) of the last `window` requests, in order (to re-price or plot them)."""
        with self._lock:
            return tuple(self._usage)

    def summary(self) -> dict[str, Any]:
        """Totals and the mean over every request, the p50/p95 cost over the last `window`, and the headline:
        USD per 1,000 requests."""
        with self._lock:
            costs = list(self._costs)  # the last `window` requests: the quantiles' sample
            cpu, tokens, n, usd = self._cpu, self._tokens, self._count, self._usd
        mean = usd / n if n else 0.0
        return {
            "requests": n,
            "cpu_seconds": cpu,
            "tokens": tokens,
            "usd": usd,
            "usd_per_request_mean": mean,
            "usd_per_request_p50": statistics.median(costs) if n else 0.0,
            "usd_per_request_p95": nearest_rank(costs, 0.95),
            "usd_per_1k_requests": 1000.0 * mean,
            "cpu_ms_per_request": 1000.0 * cpu / n if n else 0.0,
            "tokens_per_request": tokens / n if n else 0.0,
            "prices": {
                "usd_per_cpu_hour": self.prices.usd_per_cpu_hour,
                "usd_per_1k_tokens": self.prices.usd_per_1k_tokens,
            },
        }


def nearest_rank(values: list[float], q: float) -> float:
    """Nearest-rank quantile (no interpolation: every reported cost is one a request really had)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


__all__ = [
    "CPU_PRICE_ENV",
    "DEFAULT_USD_PER_1K_TOKENS",
    "DEFAULT_USD_PER_CPU_HOUR",
    "TOKEN_PRICE_ENV",
    "CostRecord",
    "CostTracker",
    "Prices",
    "nearest_rank",
]
