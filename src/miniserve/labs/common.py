"""What the phase-33 labs share: one measurement = a fresh service in its own process under open-loop load."""

from __future__ import annotations

from typing import Any

from lynx_cortex.progress import track
from miniserve.bench import bench_service
from miniserve.loadgen import MIXED, mixed_payloads

SCHEDULER_ORDER = ("none", "static", "continuous")
COLOURS = {"none": "tab:red", "static": "tab:orange", "continuous": "tab:green"}


def measure(
    settings: dict[str, object],
    *,
    rate: float,
    duration_s: float,
    seed: int,
    mix: tuple[tuple[float, str, int], ...] = MIXED,
) -> dict[str, Any]:
    """A service with `settings`, `rate` Poisson arrivals/s of the `mix` workload for `duration_s`."""
    report = bench_service(
        url=None,
        scheduler=str(settings.get("scheduler", "continuous")),
        endpoint="generate",
        rate=rate,
        clients=None,
        duration_s=duration_s,
        seed=seed,
        settings=settings,
        payloads=mixed_payloads(1024, seed, mix=mix),
    )
    report.pop("setup", None)
    report["settings"] = dict(settings)
    return report


def capacity(
    settings: dict[str, object],
    *,
    clients: int,
    duration_s: float,
    seed: int,
    mix: tuple[tuple[float, str, int], ...] = MIXED,
) -> float:
    """Answered requests per second with `clients` closed-loop clients: what the service can sustain."""
    report = bench_service(
        url=None,
        scheduler=str(settings.get("scheduler", "continuous")),
        endpoint="generate",
        rate=1.0,
        clients=clients,
        duration_s=duration_s,
        seed=seed,
        settings=settings,
        payloads=mixed_payloads(1024, seed, mix=mix),
    )
    return float(report["throughput_rps"])


def measure_all(
    variants: dict[str, dict[str, object]],
    *,
    rate: float,
    duration_s: float,
    seed: int,
    desc: str,
    **kw: Any,
) -> dict[str, dict[str, Any]]:
    return {
        name: measure(settings, rate=rate, duration_s=duration_s, seed=seed, **kw)
        for name, settings in track(list(variants.items()), desc=desc)
    }


__all__ = ["COLOURS", "SCHEDULER_ORDER", "capacity", "measure", "measure_all"]
