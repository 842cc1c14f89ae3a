"""A minimal Prometheus text exposition: request counters and latency histograms per route, a few gauges.

Phase 34's `miniobserve` brings the full registry (and tracing, JSON logs, cost); until the app is wired to it,
this module is the one place that records and renders metrics (`Metrics.render()`), so swapping it is a
one-function change in `miniserve.app`.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PREFIX = "lynx_serve_"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    body = ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items())
    return "{" + body + "}" if body else ""


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.rejected: dict[str, int] = defaultdict(int)
        self.tokens = 0
        self.gauges: dict[str, Callable[[], float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, method, str(status))] += 1
            counts = self.buckets[route]
            for i in range(bisect.bisect_left(BUCKETS, seconds), len(BUCKETS)):
                counts[i] += 1
            self.sums[route] += seconds
            self.counts[route] += 1

    def reject(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] += 1

    def add_tokens(self, count: int) -> None:
        with self._lock:
            self.tokens += count

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        self.gauges[name] = read

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            name = PREFIX + "requests_total"
            lines += [f"# HELP {name} HTTP requests answered.", f"# TYPE {name} counter"]
            for (route, method, status), value in sorted(self.requests.items()):
                lines.append(f"{name}{_labels(route=route, method=method, status=status)} {value}")
            name = PREFIX + "request_duration_seconds"
            lines += [f"# HELP {name} Time from request to response.", f"# TYPE {name} histogram"]
            for route in sorted(self.counts):
                for bound, count in zip(BUCKETS, self.buckets[route], strict=True):
                    lines.append(f"{name}_bucket{_labels(route=route, le=str(bound))} {count}")
                lines.append(f"{name}_bucket{_labels(route=route, le='+Inf')} {self.counts[route]}")
                lines.append(f"{name}_sum{_labels(route=route)} {self.sums[route]:.6f}")
                lines.append(f"{name}_count{_labels(route=route)} {self.counts[route]}")
            name = PREFIX + "rejected_total"
            lines += [
                f"# HELP {name} Requests refused by admission control.",
                f"# TYPE {name} counter",
            ]
            for reason, value in sorted(self.rejected.items()):
                lines.append(f"{name}{_labels(reason=reason)} {value}")
            name = PREFIX + "generated_tokens_total"
            lines += [f"# HELP {name} Tokens decoded for /v1/generate.", f"# TYPE {name} counter"]
            lines.append(f"{name} {self.tokens}")
        for gauge, read in sorted(self.gauges.items()):
            name = PREFIX + gauge
            lines += [f"# TYPE {name} gauge", f"{name} {float(read())}"]
        return "\n".join(lines) + "\n"


__all__ = ["BUCKETS", "Metrics"]
