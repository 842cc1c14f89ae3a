"""`lynx bench serve`: one load test of the service — started here in its own process, or one already running.

A service started here runs without the per-client rate limit (`rate_per_s=0`): all the load comes from one
address, so the limit would refuse the load generator rather than measure the service. Against `--url`, the
running service's own limit applies (and its 429s are counted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from miniserve.live import live_service
from miniserve.loadgen import (
    check_loopback,
    closed_loop,
    correct_payloads,
    mixed_payloads,
    open_loop,
    summarise,
)

PATHS = {"generate": "/v1/generate", "correct": "/v1/grammar/correct"}
WARM_UP_S = 1.0


def bench_service(
    *,
    url: str | None,
    scheduler: str,
    endpoint: str,
    rate: float,
    clients: int | None,
    duration_s: float,
    seed: int,
    settings: dict[str, object] | None = None,
    payloads: Sequence[tuple[str, Mapping[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Warm the service up for a second, then offer the load; the report of `loadgen.summarise` plus setup."""
    if url is not None:
        check_loopback(url)
    # every simulated client shares 127.0.0.1: the per-client rate limit would measure itself, not the service
    spawned = {"scheduler": scheduler, "rate_per_s": 0, **(settings or {})}
    context = nullcontext(url) if url is not None else live_service(spawned)
    path = PATHS[endpoint]
    if payloads is None:
        payloads = mixed_payloads(512, seed) if endpoint == "generate" else correct_payloads(64)
    with context as base:
        assert base is not None  # noqa: S101  # nullcontext(url) with url set, or the live service
        asyncio.run(
            open_loop(base, payloads, rate=10, duration_s=WARM_UP_S, seed=seed + 1, path=path)
        )
        if clients is not None:
            outcomes, wall = asyncio.run(
                closed_loop(base, payloads, clients=clients, duration_s=duration_s, path=path)
            )
            report = summarise(outcomes, wall)
        else:
            outcomes, wall = asyncio.run(
                open_loop(base, payloads, rate=rate, duration_s=duration_s, seed=seed, path=path)
            )
            report = summarise(outcomes, wall, offered_rps=rate)
    report["setup"] = {
        "url": url or "spawned",
        "scheduler": scheduler if url is None else "as running",
        "endpoint": endpoint,
        "loop": f"closed, {clients} clients" if clients is not None else f"open, {rate}/s Poisson",
        "duration_s": duration_s,
        "seed": seed,
    }
    return report


def render(report: dict[str, Any]) -> str:
    setup, lat, queue = report["setup"], report["latency_ms"], report["queue_ms"]
    lines = [
        f"{setup['endpoint']} on {setup['url']} ({setup['scheduler']}), {setup['loop']}, {setup['duration_s']} s",
        f"  answered   {report['ok']}/{report['sent']}  ({report['throughput_rps']} req/s, {report['tokens_per_s']} tok/s)",
        f"  latency    p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms",
        f"  queue      mean {queue['mean']} ms  p95 {queue['p95']} ms",
        f"  in server  p50 {report['server_ms']['p50']} ms  p95 {report['server_ms']['p95']} ms"
        f"   (client lag p95 {report['client_lag_ms']['p95']} ms)",
        f"  refused    {report['rejected_429']} × 429   errors {report['errors']}   timeouts {report['timeouts']}",
    ]
    return "\n".join(lines)


__all__ = ["PATHS", "bench_service", "render"]
