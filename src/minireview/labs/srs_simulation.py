"""Lab 41-srs-simulation: SM-2 vs FSRS on simulated learners over 180 days — workload and retention."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.ticker import PercentFormatter

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minireview.schedulers import FSRSScheduler, SM2Scheduler
from minireview.simulate import SimulationConfig, compare, describe


@lab("41-srs-simulation", title="Spaced repetition: SM-2 vs FSRS on simulated learners")
def srs_simulation(ctx: LabContext) -> Mapping[str, Any]:
    size = settings(
        ctx,
        {
            "smoke": {"learners": 3, "days": 40},
            "default": {"learners": 40, "days": 180},
            "full": {"learners": 200, "days": 365},
        },
    )
    config = SimulationConfig(learners=int(size["learners"]), days=int(size["days"]), seed=ctx.seed)
    ctx.config["simulation"] = describe(config)
    results = compare([SM2Scheduler(), FSRSScheduler()], config)

    days = np.arange(config.days)
    fig, (top, bottom) = figure(2, 1, width=8, height=7)
    colors = {"sm2": "#d95f02", "fsrs": "#1b9e77"}
    for name, result in results.items():
        top.plot(
            days,
            result.reviews_per_day,
            color=colors[name],
            label=f"{name}: {result.total_reviews / config.learners:.0f} reviews/learner",
        )
        bottom.plot(
            days,
            result.retention_per_day,
            color=colors[name],
            label=f"{name}: mean {result.mean_retention:.1%}",
        )
    top.set_ylabel("reviews per learner per day")
    top.legend()
    bottom.set_ylabel("mean recall probability")
    bottom.set_xlabel("day")
    lowest = min(min(r.retention_per_day[1:] or [1.0]) for r in results.values())
    bottom.set_ylim(max(0.0, lowest - 0.05), 1.0)
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
    bottom.legend()
    save_png(
        fig,
        ctx.path("srs_simulation.png"),
        title=f"{config.learners} simulated learners, {config.items_per_learner} cards each",
    )

    table = [
        "| scheduler | reviews / learner | mean retention | retention on the last day | retired cards |",
        "|---|---|---|---|---|",
    ]
    summary: dict[str, Any] = {}
    for name, result in results.items():
        per_learner = result.total_reviews / config.learners
        summary[name] = {
            "reviews_per_learner": per_learner,
            "mean_retention": result.mean_retention,
            "final_retention": result.retention_per_day[-1],
            "peak_reviews_per_day": max(result.reviews_per_day),
            "retired_cards": result.retired_cards,
        }
        table.append(
            f"| {name} | {per_learner:.0f} | {result.mean_retention:.1%} | {result.retention_per_day[-1]:.1%} | {result.retired_cards} |"
        )
    ctx.path("summary.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    sm2, fsrs = summary["sm2"], summary["fsrs"]
    summary["fsrs_over_sm2"] = {
        "reviews": fsrs["reviews_per_learner"] / sm2["reviews_per_learner"],
        "mean_retention": fsrs["mean_retention"] / sm2["mean_retention"],
    }
    return summary
