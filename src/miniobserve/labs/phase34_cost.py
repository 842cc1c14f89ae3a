"""Phase 34 labs `34-cost-per-correction` and `34-instrumentation-overhead`.

Cost: N corrections through the instrumented tutor app, each charged its worker thread's CPU seconds and its
tokens (`CostTracker`) at the default prices; the headline is USD per 1,000 corrections, next to what the same
tokens would cost at an API's price. The `/metrics` scrape must agree with the tracker's own summary, and the
course's calibration (0.085, 0.17 and 0.34 $/h give costs 1:2:4) is checked on the recorded usage.

Overhead: the same app bare (FastAPI's own telemetry off, nothing of ours) and instrumented (metrics, tracing
into memory, JSON logs, request ids, cost), called in turns (`interleaved_seconds`), so a change in the
machine's load hits both sides alike. The paired ratio on corrections is reported, but a correction's own
spread (tens of ms on a shared machine) hides a cost of a millisecond or a few; so the added time per request
is the median paired difference on an empty route (the middleware's whole cost, nothing else), compared with
the correction's p50. The goal is at most 5 % of it.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import interleaved_seconds, paired_median_ratio, settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from miniagent.tutor.tutor import GrammarTutor
from miniobserve import CostTracker, Metrics, Prices, instrument, setup_tracing
from miniobserve.cost import nearest_rank
from miniobserve.labs.tutorapp import LOGGER, ROUTE, SENTENCES, tutor_app
from miniobserve.logging import configure_logging

#: A GPT-4o-mini-class API's output price, for comparison only (USD per 1k tokens).
API_USD_PER_1K_TOKENS = 0.0006
CALIBRATION_USD_PER_HOUR = (0.085, 0.17, 0.34)
OVERHEAD_GOAL = 0.05  # of a correction's p50
PING = "/v1/ping"


@lab(
    "34-cost-per-correction",
    title="What one tutor correction costs: CPU seconds, tokens, USD per 1k",
)
def cost_per_correction(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {"smoke": {"corrections": 6}, "default": {"corrections": 60}, "full": {"corrections": 400}},
    )
    metrics = Metrics()
    tracker = CostTracker(Prices(), metrics=metrics)
    app = tutor_app(GrammarTutor(), cost=tracker)
    instrument(app, metrics=metrics, logging=configure_logging(LOGGER, stream=io.StringIO()))
    # one BLAS thread: the worker thread's CPU clock then sees all of a correction's work (see cost.py)
    with threadpool_limits(limits=1), TestClient(app) as client:
        client.post(ROUTE, json={"sentence": "He eat an apple."})  # warm-up, not charged below
        warm = tracker.summary()["requests"]
        for i in track(range(int(cfg["corrections"])), desc="corrections"):
            response = client.post(ROUTE, json={"sentence": SENTENCES[i % len(SENTENCES)]})
            response.raise_for_status()
        scrape = client.get("/metrics").text
    summary = tracker.summary()
    per_request = tracker.usage()[warm:]
    cpu_ms = [1000 * cpu for cpu, _ in per_request]
    tokens = [t for _, t in per_request]
    usd = [Prices().cost(cpu, t) for cpu, t in per_request]
    per_1k = 1000 * statistics.fmean(a + b for a, b in usd)
    api_per_1k = 1000 * statistics.fmean(t / 1000 * API_USD_PER_1K_TOKENS for t in tokens)
    calibration = [
        sum(Prices(rate / 4).cost(cpu, t)[0] for cpu, t in per_request)
        for rate in CALIBRATION_USD_PER_HOUR
    ]
    fig, (left, right) = figure(1, 2, width=10.0)
    left.hist(cpu_ms, bins=min(20, max(3, len(cpu_ms) // 3)), color="C0")
    left.set_xlabel("CPU ms per correction")
    left.set_ylabel("corrections")
    right.bar(
        ["self-hosted\n(CPU time)", "API price\n(same tokens)"],
        [per_1k, api_per_1k],
        color=["C0", "C1"],
    )
    right.set_ylabel("USD per 1,000 corrections")
    right.set_yscale("log")
    save_png(fig, ctx.path("cost.png"), title="Cost per correction")
    return {
        "corrections": len(per_request),
        "prices": summary["prices"],
        "cpu_ms_p50": statistics.median(cpu_ms),
        "cpu_ms_p95": nearest_rank(cpu_ms, 0.95),
        "tokens_mean": statistics.fmean(tokens),
        "usd_per_1k_corrections": per_1k,
        "usd_per_1k_corrections_at_api_token_price": api_per_1k,
        "api_over_self_hosted": api_per_1k / per_1k if per_1k else None,
        "calibration_usd_per_hour": list(CALIBRATION_USD_PER_HOUR),
        "calibration_ratios": [c / calibration[0] for c in calibration] if calibration[0] else None,
        "metrics_agree": _scraped(scrape, "lynx_request_cost_usd_count") == summary["requests"]
        and abs(_scraped(scrape, "lynx_request_cost_usd_sum") - summary["usd"])
        <= 1e-12 + 1e-9 * summary["usd"],
    }


@lab(
    "34-instrumentation-overhead",
    title="What instrumentation costs a tutor correction (p50, paired)",
)
def instrumentation_overhead(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"rounds": 6, "ping_rounds": 30},
            "default": {"rounds": 40, "ping_rounds": 300},
            "full": {"rounds": 200, "ping_rounds": 2000},
        },
    )
    tutor = GrammarTutor()
    tracing = setup_tracing("lynx-tutor", exporter="memory")
    try:
        bare = tutor_app(tutor, native_telemetry=False)
        observed = tutor_app(tutor, cost=CostTracker())
        for app in (bare, observed):
            app.add_api_route(PING, _pong)
        instrument(
            observed,
            metrics=Metrics(),
            tracing=tracing,
            logging=configure_logging(LOGGER, stream=io.StringIO()),
        )
        with TestClient(bare) as plain, TestClient(observed) as full:
            turn = {"i": 0}

            def forget() -> None:
                if tracing.memory is not None:  # keep memory flat: exporting is the collector's job
                    tracing.memory.clear()

            def correct(client: TestClient, advance: bool) -> None:
                client.post(
                    ROUTE, json={"sentence": SENTENCES[turn["i"] % len(SENTENCES)]}
                ).raise_for_status()
                if advance:
                    forget()
                    turn["i"] += 1

            def ping(client: TestClient) -> None:
                client.get(PING).raise_for_status()
                forget()

            for _ in range(2):  # warm-up: model, index, first-call paths of both apps
                correct(plain, False)
                correct(full, True)
            tutor_s = interleaved_seconds(
                {
                    "bare": lambda: correct(plain, False),
                    "instrumented": lambda: correct(full, True),
                },
                int(cfg["rounds"]),
            )
            ping_s = interleaved_seconds(
                {"bare": lambda: ping(plain), "instrumented": lambda: ping(full)},
                int(cfg["ping_rounds"]),
            )
    finally:
        tracing.shutdown()
    p50 = {side: 1000 * statistics.median(values) for side, values in tutor_s.items()}
    added_ms = 1000 * statistics.median(
        i - b for i, b in zip(ping_s["instrumented"], ping_s["bare"], strict=True)
    )
    share = added_ms / p50["bare"]
    return {
        "rounds": int(cfg["rounds"]),
        "ping_rounds": int(cfg["ping_rounds"]),
        "tutor_p50_ms": p50,
        "tutor_paired_median_ratio": paired_median_ratio(tutor_s["instrumented"], tutor_s["bare"]),
        "ping_p50_ms": {side: 1000 * statistics.median(v) for side, v in ping_s.items()},
        "added_ms_per_request": added_ms,
        "added_share_of_tutor_p50": share,
        "goal_share": OVERHEAD_GOAL,
        "meets_goal": share <= OVERHEAD_GOAL,
        "note": (
            "wall times on a shared machine. A correction's own spread hides a cost of a few ms, so the "
            "added time is measured on an empty route (paired differences) and divided by the tutor's p50"
        ),
    }


async def _pong() -> dict[str, bool]:
    return {"ok": True}


def _scraped(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise LookupError(f"{name} is not in the scrape")


__all__ = ["cost_per_correction", "instrumentation_overhead"]
