"""Lab 33-little-law: sweep MAX_INFLIGHT at a fixed offered load, check L = λ·W, and pick the elbow.

Little's law says the mean number of requests in the system equals the throughput times the mean time each
spends there (L = λ·W, queue wait included). With too few slots the service cannot hold the L the offered
load needs: the queue grows and W with it. Past the elbow, more slots buy almost no throughput and only
memory (each slot is a full KV cache row) — and, below capacity, latency: a step over more rows costs more, so
each request shares its steps with more others. For each MAX_INFLIGHT the lab measures throughput X, mean
latency W and p95, and reports L = X·W; the elbow is the smallest MAX_INFLIGHT whose throughput reaches 95 % of
the best one measured *and* whose p95 is within 1.5× of the best p95.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from miniserve.labs.common import measure_all

ELBOW_SHARE = 0.95
ELBOW_P95 = 1.5


def elbow(
    throughput: Mapping[int, float],
    p95: Mapping[int, float],
    share: float = ELBOW_SHARE,
    slack: float = ELBOW_P95,
) -> int:
    """The smallest setting within `share` of the best throughput and `slack` × the best p95 (if none is
    both, the one with the best throughput)."""
    best_x, best_p95 = max(throughput.values()), min(p95.values())
    good = [k for k in throughput if throughput[k] >= share * best_x and p95[k] <= slack * best_p95]
    return min(good) if good else max(throughput, key=lambda k: throughput[k])


@lab("33-little-law", title="Little's law: sweep MAX_INFLIGHT, find the elbow")
def little_law(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"rate": 30.0, "duration_s": 1.5, "inflight": [1, 4]},
            "default": {"rate": 60.0, "duration_s": 3.0, "inflight": [1, 2, 4, 8, 16]},
            "full": {"rate": 60.0, "duration_s": 20.0, "inflight": [1, 2, 4, 8, 16, 32]},
        },
    )
    sweep = [int(k) for k in cfg["inflight"]]
    variants = {
        str(k): {"scheduler": "continuous", "max_inflight": k, "max_queue": 10_000} for k in sweep
    }
    raw = measure_all(
        variants,
        rate=float(cfg["rate"]),
        duration_s=float(cfg["duration_s"]),
        seed=ctx.seed,
        desc="MAX_INFLIGHT",
    )
    table: dict[str, dict[str, Any]] = {}
    for k in sweep:
        r = raw[str(k)]
        mean_w = r["latency_ms"]["mean"] / 1000 if r["latency_ms"].get("mean") is not None else None
        table[str(k)] = {
            "throughput_rps": r["throughput_rps"],
            "p95_ms": r["latency_ms"]["p95"],
            "mean_latency_ms": r["latency_ms"].get("mean"),
            "little_L": round(r["throughput_rps"] * mean_w, 2) if mean_w is not None else None,
            "queue_mean_ms": r["queue_ms"]["mean"],
            "rejected_429": r["rejected_429"],
        }
    chosen = elbow(
        {k: table[str(k)]["throughput_rps"] for k in sweep},
        {k: table[str(k)]["p95_ms"] for k in sweep},
    )
    fig, (left, right) = figure(1, 2, width=10.0, height=4.0)
    left.plot(
        sweep, [table[str(k)]["throughput_rps"] for k in sweep], marker="o", label="throughput"
    )
    left.axhline(float(cfg["rate"]), color="grey", linestyle="--", label="offered")
    left.axvline(chosen, color="tab:green", linestyle=":", label=f"elbow: {chosen}")
    left.set(xscale="log", xlabel="MAX_INFLIGHT", ylabel="answered requests / s")
    left.legend()
    right.plot(
        sweep, [table[str(k)]["p95_ms"] for k in sweep], marker="o", color="tab:red", label="p95"
    )
    right.plot(
        sweep,
        [table[str(k)]["little_L"] for k in sweep],
        marker="s",
        color="tab:blue",
        label="L = X·W",
    )
    right.set(
        xscale="log", yscale="log", xlabel="MAX_INFLIGHT", ylabel="p95 (ms) / requests in system"
    )
    right.legend()
    save_png(
        fig,
        ctx.path("little_law.png"),
        title=f"Continuous batching at {cfg['rate']:g} req/s offered",
    )
    return {"sweep": table, "elbow_max_inflight": chosen, "offered_rps": float(cfg["rate"])}


__all__ = ["ELBOW_P95", "ELBOW_SHARE", "elbow", "little_law"]
