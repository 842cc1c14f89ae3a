"""Lab 33-batching-schedulers and break 33: none vs static vs continuous at the same offered load.

Each scheduler gets a fresh service in its own process and the same open-loop Poisson load of the mixed
workload (60 % short, 30 % medium, 10 % long answers). Static and continuous batching run the very same decode
kernel (`miniinfer.continuous`), so what differs is the policy: static waits up to `max_wait_ms` to fill a
batch and answers when its longest row is done; continuous admits and retires at every step. The table holds
throughput, p50/p95/p99 latency and queue time; the PNG shows the percentiles and throughput side by side.

The break serves long answers without batching (`none`). It first measures what one-at-a-time serving
sustains on this machine (closed loop), then offers `OVERLOAD` times that rate to both variants: without
batching every request waits for all the ones before it, the queue grows for the whole run, p95 goes up
several-fold and throughput stays at the unbatched ceiling, while continuous batching keeps up. (A fixed rate
would not do: on a quiet machine the tiny model serves one-at-a-time faster than a loaded machine serves
batched.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from miniserve.labs.common import COLOURS, SCHEDULER_ORDER, capacity, measure_all

#: Break: offer this multiple of the unbatched capacity; detected when p95 without batching is at least
#: P95_RATIO times continuous's and continuous answers at least THROUGHPUT_RATIO times as many requests.
OVERLOAD = 2.0
P95_RATIO = 1.5
THROUGHPUT_RATIO = 1.2
LONG_ONLY = ((1.0, "long", 64),)  # the longest answers a request may ask for: batching matters most


def _plot(ctx: LabContext, table: Mapping[str, Mapping[str, Any]], rate: float, name: str) -> None:
    fig, (left, right) = figure(1, 2, width=10.0, height=4.0)
    names = list(table)
    width = 0.25
    for i, pct in enumerate(("p50", "p95", "p99")):
        left.bar(
            [n + (i - 1) * width for n in range(len(names))],
            [table[s]["latency_ms"][pct] or 0.0 for s in names],
            width,
            label=pct,
        )
    left.set_xticks(range(len(names)), names)
    left.set(ylabel="latency (ms)", yscale="log")
    left.legend()
    right.bar(names, [table[s]["throughput_rps"] for s in names], color=[COLOURS[s] for s in names])
    right.axhline(rate, color="grey", linestyle="--", label=f"offered {rate:g}/s")
    right.set(ylabel="answered requests / s")
    right.legend()
    save_png(
        fig, ctx.path(name), title=f"Same offered load ({rate:g} req/s, Poisson), three schedulers"
    )


@lab(
    "33-batching-schedulers", title="none vs static vs continuous batching at the same offered load"
)
def batching_schedulers(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {
                "rate": 20.0,
                "duration_s": 1.5,
                "max_batch": 8,
                "max_wait_ms": 20.0,
                "max_inflight": 8,
            },
            "default": {
                "rate": 40.0,
                "duration_s": 6.0,
                "max_batch": 8,
                "max_wait_ms": 20.0,
                "max_inflight": 8,
            },
            "full": {
                "rate": 40.0,
                "duration_s": 30.0,
                "max_batch": 8,
                "max_wait_ms": 20.0,
                "max_inflight": 8,
            },
        },
    )
    common = {k: cfg[k] for k in ("max_batch", "max_wait_ms", "max_inflight")} | {
        "max_queue": 10_000
    }
    variants = {name: {"scheduler": name, **common} for name in SCHEDULER_ORDER}
    table = measure_all(
        variants,
        rate=float(cfg["rate"]),
        duration_s=float(cfg["duration_s"]),
        seed=ctx.seed,
        desc="schedulers",
    )
    _plot(ctx, table, float(cfg["rate"]), "schedulers.png")
    static, cont = table["static"], table["continuous"]
    p95_gain = 1 - cont["latency_ms"]["p95"] / static["latency_ms"]["p95"]
    return {
        "schedulers": table,
        "continuous_vs_static": {
            "p95_improvement": round(p95_gain, 3),
            "throughput_ratio": round(
                cont["throughput_rps"] / max(static["throughput_rps"], 1e-9), 3
            ),
            "goal": "p95 at least 30 % lower, throughput within 10 %",
        },
    }


@breaks(33, title="Serve without batching", change="scheduler none instead of continuous")
def no_batching_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"probe_s": 2.5, "duration_s": 2.0, "max_inflight": 16},
            "default": {"probe_s": 4.0, "duration_s": 6.0, "max_inflight": 16},
        },
    )
    broken_settings: dict[str, object] = {"scheduler": "none", "max_queue": 10_000}
    unbatched = capacity(
        broken_settings, clients=16, duration_s=float(cfg["probe_s"]), seed=ctx.seed, mix=LONG_ONLY
    )
    cfg["unbatched_capacity_rps"] = unbatched
    cfg["rate"] = rate = round(OVERLOAD * unbatched, 1)
    variants = {
        "continuous": {
            "scheduler": "continuous",
            "max_inflight": cfg["max_inflight"],
            "max_queue": 10_000,
        },
        "none": broken_settings,
    }
    table = measure_all(
        variants,
        rate=rate,
        duration_s=float(cfg["duration_s"]),
        seed=ctx.seed,
        desc="with and without batching",
        mix=LONG_ONLY,
    )
    _plot(ctx, table, float(cfg["rate"]), "break.png")
    healthy, broken = table["continuous"], table["none"]
    p95_ratio = broken["latency_ms"]["p95"] / healthy["latency_ms"]["p95"]
    tput_ratio = healthy["throughput_rps"] / max(broken["throughput_rps"], 1e-9)
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=(
            f"without batching p95 is {p95_ratio:.1f}× continuous's "
            f"({broken['latency_ms']['p95']:.0f} vs {healthy['latency_ms']['p95']:.0f} ms) and it answers "
            f"{broken['throughput_rps']:.1f} req/s against {healthy['throughput_rps']:.1f} at an offered "
            f"{rate:g} req/s ({OVERLOAD:g}× the {unbatched:.1f} req/s served one at a time)"
        ),
        detected=p95_ratio >= P95_RATIO and tput_ratio >= THROUGHPUT_RATIO,
    )


__all__ = ["OVERLOAD", "P95_RATIO", "THROUGHPUT_RATIO", "batching_schedulers", "no_batching_break"]
