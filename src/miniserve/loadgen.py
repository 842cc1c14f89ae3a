"""A load generator for the service: open-loop Poisson arrivals (or closed-loop clients), loopback only.

Open loop is how real traffic behaves: requests arrive at exponential gaps at an offered rate λ whether or not
the server keeps up, so queueing shows up as latency (and, past capacity, as 429s) instead of silently slowing
the client down — a closed loop of N clients can never offer more than the server serves ("coordinated
omission"). The closed loop is kept for the tutor's goal, stated for "20 concurrent clients".

Every request's latency, status, and the server's own `queue_ms` (time waiting for the model) are recorded;
`summarise` turns them into throughput, p50/p95/p99, queue time, and error / 429 / timeout counts.
The target must be a loopback address: this tool is for measuring your own server, not anyone else's.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from lynx_cortex.errors import LynxError

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

#: (share, kind, max_tokens): mostly short answers, some medium, a few long — the mixed workload of §33.
MIXED: tuple[tuple[float, str, int], ...] = (
    (0.6, "short", 4),
    (0.3, "medium", 16),
    (0.1, "long", 48),
)
PROMPTS: tuple[str, ...] = (
    "He",
    "Yesterday I",
    "She walk to school.",
    "My brother eat pizza every day.",
    "They is going to the park.",
    "I will to eat an apple tomorrow.",
)
SENTENCES: tuple[str, ...] = (
    "Yesterday she goed to the market.",
    "He walk to school every day.",
    "I will to eat an apple.",
    "She has went home.",
    "My brother eat pizza every day.",
    "He is going to plays football.",
    "I have saw that film.",
    "She writes a letter every week.",
)


@dataclass(frozen=True)
class Outcome:
    kind: str
    sent: float  # seconds since the run started
    latency_s: float
    status: int  # 0: no HTTP answer (timeout or connection error)
    queue_ms: float | None
    tokens: int
    timeout: bool
    server_ms: float | None = (
        None  # the handler's own duration_ms: latency minus this is outside the app
    )
    lag_s: float = (
        0.0  # how late the request left against its scheduled arrival (a saturated client)
    )


def check_loopback(base_url: str) -> str:
    """`base_url` without a trailing slash, if it names this machine; `LynxError` otherwise."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in LOOPBACK:
        raise LynxError(
            f"--url must be an http URL on this machine (127.0.0.1, localhost or ::1), got {base_url!r}"
        )
    return base_url.rstrip("/")


def mixed_payloads(
    count: int, seed: int, *, mix: Sequence[tuple[float, str, int]] = MIXED
) -> list[tuple[str, dict[str, Any]]]:
    """`count` (kind, /v1/generate body) pairs drawn from `mix` with a seeded generator."""
    rng = random.Random(seed)
    shares = [share for share, _, _ in mix]
    out = []
    for i in range(count):
        _, kind, budget = rng.choices(mix, weights=shares)[0]
        body = {"prompt": PROMPTS[i % len(PROMPTS)], "max_tokens": budget, "temperature": 0.0}
        out.append((kind, body))
    return out


def correct_payloads(count: int) -> list[tuple[str, dict[str, Any]]]:
    return [("correct", {"sentence": SENTENCES[i % len(SENTENCES)]}) for i in range(count)]


async def _fire(
    client: httpx.AsyncClient,
    path: str,
    kind: str,
    body: Mapping[str, Any],
    t0: float,
    due: float | None = None,
) -> Outcome:
    sent = time.perf_counter()
    lag = max(0.0, sent - t0 - due) if due is not None else 0.0
    try:
        answer = await client.post(path, json=dict(body))
    except httpx.TimeoutException:
        return Outcome(kind, sent - t0, time.perf_counter() - sent, 0, None, 0, True, lag_s=lag)
    except httpx.TransportError:
        return Outcome(kind, sent - t0, time.perf_counter() - sent, 0, None, 0, False, lag_s=lag)
    latency = time.perf_counter() - sent
    queue_ms, tokens, server_ms = None, 0, None
    if answer.status_code == 200:
        data = answer.json()
        queue_ms = data.get("queue_ms")
        server_ms = data.get("duration_ms")
        tokens = int(data.get("completion_tokens", 0))
    return Outcome(
        kind, sent - t0, latency, answer.status_code, queue_ms, tokens, False, server_ms, lag
    )


def _client(base_url: str, timeout_s: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=check_loopback(base_url),
        timeout=timeout_s,
        limits=httpx.Limits(max_connections=2000, max_keepalive_connections=200),
        trust_env=False,
    )


async def open_loop(
    base_url: str,
    payloads: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    rate: float,
    duration_s: float,
    seed: int,
    path: str = "/v1/generate",
    timeout_s: float = 30.0,
) -> tuple[list[Outcome], float]:
    """Poisson arrivals at `rate`/s for `duration_s`, cycling through `payloads`; (outcomes, wall seconds)."""
    if rate <= 0 or duration_s <= 0 or not payloads:
        raise LynxError(
            "the load needs a positive rate, a positive duration and at least one payload"
        )
    rng = random.Random(seed)
    arrivals: list[float] = []
    t = rng.expovariate(rate)
    while t < duration_s:
        arrivals.append(t)
        t += rng.expovariate(rate)
    async with _client(base_url, timeout_s) as client:
        t0 = time.perf_counter()
        tasks = []
        for i, at in enumerate(arrivals):
            delay = at - (time.perf_counter() - t0)
            if delay > 0:
                await asyncio.sleep(delay)
            kind, body = payloads[i % len(payloads)]
            tasks.append(asyncio.create_task(_fire(client, path, kind, body, t0, due=at)))
        outcomes = list(await asyncio.gather(*tasks))
        return outcomes, time.perf_counter() - t0


async def closed_loop(
    base_url: str,
    payloads: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    clients: int,
    duration_s: float,
    path: str = "/v1/grammar/correct",
    timeout_s: float = 30.0,
) -> tuple[list[Outcome], float]:
    """`clients` clients, each sending its next request as soon as the last one is answered."""
    if clients < 1 or duration_s <= 0 or not payloads:
        raise LynxError("the load needs at least one client, a positive duration and a payload")
    async with _client(base_url, timeout_s) as client:
        t0 = time.perf_counter()
        outcomes: list[Outcome] = []

        async def one(start: int) -> None:
            i = start
            while time.perf_counter() - t0 < duration_s:
                kind, body = payloads[i % len(payloads)]
                outcomes.append(await _fire(client, path, kind, body, t0))
                i += clients

        await asyncio.gather(*(one(c) for c in range(clients)))
        return outcomes, time.perf_counter() - t0


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    arr = np.asarray(values, dtype=np.float64) * 1000
    return {f"p{q}": round(float(np.percentile(arr, q)), 2) for q in (50, 95, 99)}


def summarise(
    outcomes: Sequence[Outcome], wall_s: float, offered_rps: float | None = None
) -> dict[str, Any]:
    """Throughput (answered 200s per second of wall time), latency percentiles (ms, 200s only), queue time,
    and how many requests failed, were refused (429) or timed out; per kind as well."""
    ok = [o for o in outcomes if o.status == 200]
    queue = [o.queue_ms for o in ok if o.queue_ms is not None]
    report: dict[str, Any] = {
        "sent": len(outcomes),
        "ok": len(ok),
        "rejected_429": sum(o.status == 429 for o in outcomes),
        "timeouts": sum(o.timeout for o in outcomes),
        "errors": sum(o.status not in (200, 429) for o in outcomes),
        "wall_s": round(wall_s, 3),
        "throughput_rps": round(len(ok) / wall_s, 2) if wall_s > 0 else 0.0,
        "tokens_per_s": round(sum(o.tokens for o in ok) / wall_s, 1) if wall_s > 0 else 0.0,
        "latency_ms": {
            **_percentiles([o.latency_s for o in ok]),
            "mean": round(float(np.mean([o.latency_s for o in ok])) * 1000, 2) if ok else None,
        },
        "queue_ms": {
            "mean": round(float(np.mean(queue)), 2) if queue else None,
            "p95": round(float(np.percentile(queue, 95)), 2) if queue else None,
        },
        # the handler's own time: when latency ≫ this, the wait is outside the app (socket, parser, client)
        "server_ms": _percentiles([o.server_ms / 1000 for o in ok if o.server_ms is not None]),
        # how late requests left the generator: a large p95 means the client, not the server, fell behind
        "client_lag_ms": _percentiles([o.lag_s for o in outcomes]),
        "by_kind": {
            kind: _percentiles([o.latency_s for o in ok if o.kind == kind])
            for kind in sorted({o.kind for o in outcomes})
        },
    }
    if offered_rps is not None:
        report["offered_rps"] = offered_rps
    return report


__all__ = [
    "MIXED",
    "Outcome",
    "check_loopback",
    "closed_loop",
    "correct_payloads",
    "mixed_payloads",
    "open_loop",
    "summarise",
]
