"""Phase 19 labs and break: overfitting on purpose, and a loss spike that clipping would have absorbed.

`19-overfit` trains the tiny model with the phase's aggressive settings (lr 3e-3, batch 32) well past its
best validation loss: the train loss keeps falling while validation turns up at t*, and the dashboard of the
run is written next to the plot. The break injects one spike (the loss of one step multiplied by 10⁴, the
stand-in for the seed's batch of rare tokens) into two runs from the same seed, with and without global-norm
clipping. Unclipped, the giant gradient goes straight into AdamW: the step itself and the inflated second
moment (which takes ~1/(1−β₂) steps to decay) knock the run off course, and the loss stays above the clipped
run's long after the spike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minitrain.config import TrainConfig
from minitrain.dashboard import render
from minitrain.labs._corpus import baseline_ppl, tiny_trainer
from minitrain.metrics import MetricsLog, read_metrics


def overfit_onset(steps: list[int], val: list[float], *, margin: float = 0.02) -> int | None:
    """t*: the best validation step, if validation later rises more than `margin` nats above it."""
    best = int(np.argmin(val))
    later = val[best + 1 :]
    return steps[best] if later and max(later) > val[best] + margin else None


@lab("19-overfit", title="Train past convergence: the train/validation gap opens at t*")
def overfit(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 60, "eval_every": 10},
            "default": {"steps": 1200, "eval_every": 50},
            "full": {"steps": 8000, "eval_every": 100},
        },
    )
    config = TrainConfig(
        steps=cfg["steps"],
        warmup_steps=cfg["steps"] // 20,
        batch_size=32,
        lr_max=3e-3,
        lr_min=3e-4,
        eval_every=cfg["eval_every"],
        seed=ctx.seed,
    )
    log = MetricsLog(ctx.out_dir / "metrics.jsonl")
    trainer = tiny_trainer(config, log=log, inspect=True)
    trainer.fit()
    records = read_metrics(log.path)
    evals = [r for r in records if r["kind"] == "eval"]
    train = {r["step"]: r["loss"] for r in records if r["kind"] == "train"}
    e_steps = [r["step"] for r in evals]
    val = [r["val_loss"] for r in evals]
    train_at = [
        float(np.mean([train[s] for s in range(max(1, e - 9), e + 1) if s in train]))
        if e
        else val[0]
        for e in e_steps
    ]
    t_star = overfit_onset(e_steps, val)
    baseline = baseline_ppl()
    fig, ax = figure()
    ax.plot(e_steps, train_at, "o-", ms=3, label="train (10-step mean)")
    ax.plot(e_steps, val, "o-", ms=3, label="validation")
    if t_star is not None:
        ax.axvline(t_star, color="tab:red", ls=":", label=f"t* = {t_star}")
    ax.fill_between(e_steps, train_at, val, color="tab:red", alpha=0.1, label="generalisation gap")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.legend(fontsize=8)
    save_png(
        fig, ctx.out_dir / "overfit_gap.png", title="Overfitting on purpose (lr 3e-3, batch 32)"
    )
    render(
        records,
        ctx.out_dir / "dashboard.html",
        title="19-overfit",
        header={"seed": ctx.seed, "steps": config.steps},
        baseline_loss=math.log(baseline),
        grad_clip=config.grad_clip,
    )
    return {
        "t_star": t_star,
        "best_val_loss": min(val),
        "final_val_loss": val[-1],
        "final_gap": val[-1] - train_at[-1],
        "gap_at_t_star": None
        if t_star is None
        else val[e_steps.index(t_star)] - train_at[e_steps.index(t_star)],
    }


@lab("19-hook-overhead", title="What the inspector's hooks cost per training step")
def hook_overhead(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 10, "rounds": 2},
            "default": {"steps": 40, "rounds": 3},
            "full": {"steps": 100, "rounds": 5},
        },
    )
    config = TrainConfig(steps=10_000, warmup_steps=10, eval_every=10_000, seed=ctx.seed)
    times: dict[str, list[float]] = {"plain": [], "instrumented": []}
    for _ in range(cfg["rounds"]):  # alternate, so drifting machine load hits both alike
        for label in times:
            trainer = tiny_trainer(config, inspect=label == "instrumented")
            trainer.train_step()  # warm caches before timing
            start = time.perf_counter()
            for _ in range(cfg["steps"]):
                trainer.train_step()
            times[label].append((time.perf_counter() - start) / cfg["steps"])
    best = {label: min(values) for label, values in times.items()}
    overhead = best["instrumented"] / best["plain"] - 1.0
    fig, ax = figure(width=5.5)
    ax.bar(list(best), [1000 * v for v in best.values()], color=["tab:blue", "tab:orange"])
    ax.set_ylabel("ms per training step (best of rounds)")
    ax.set_title(f"overhead {overhead:+.1%} (budget ≤ 30 %)")
    save_png(fig, ctx.out_dir / "hook_overhead.png", title="Inspector hooks: cost per step")
    return {
        "ms_per_step": {k: 1000 * v for k, v in best.items()},
        "overhead": overhead,
        "within_budget": overhead <= 0.30,
        "rounds": times,
    }


@breaks(
    19,
    title="Train without gradient clipping and inject a loss spike",
    change="grad_clip=None instead of 1.0; in both runs step S's loss is multiplied by 10^4",
)
def no_clip_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 80, "spike": 40, "window": 20},
            "default": {"steps": 250, "spike": 100, "window": 50},
            "full": {"steps": 600, "spike": 300, "window": 100},
        },
    )
    base = TrainConfig(
        steps=cfg["steps"],
        warmup_steps=cfg["steps"] // 12,
        lr_max=3e-3,
        lr_min=3e-4,
        eval_every=cfg["steps"],
        spike_step=cfg["spike"],
        spike_scale=1e4,
        seed=ctx.seed,
    )
    s, w = cfg["spike"], cfg["window"]
    results: dict[str, dict[str, Any]] = {}
    losses: dict[str, list[float]] = {}
    for label, clip in (("healthy", 1.0), ("broken", None)):
        trainer = tiny_trainer(base, grad_clip=clip)
        records = trainer.fit()
        loss = [r["loss"] for r in records]
        losses[label] = loss
        spike = records[s - 1]
        results[label] = {
            "grad_clip": clip,
            "loss_before_spike": float(np.mean(loss[s - 11 : s - 1])),
            "loss_after_window": float(np.mean(loss[s + w - 10 : s + w])),
            "grad_norm_pre_at_spike": spike["grad_norm_pre"],
            "grad_norm_post_at_spike": spike["grad_norm_post"],
            "final_val_loss": trainer.evaluate().loss,
        }
    fig, ax = figure()
    for label, loss in losses.items():
        ax.plot(
            range(1, len(loss) + 1),
            loss,
            lw=1,
            label=f"{label} (clip {results[label]['grad_clip']})",
        )
    ax.axvline(s, color="black", ls=":", label=f"spike injected at step {s}")
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (nats/token)")
    ax.legend(fontsize=8)
    save_png(
        fig,
        ctx.out_dir / "spike_no_clip.png",
        title="One ×10⁴ loss spike, with and without clipping",
    )
    h, b = results["healthy"], results["broken"]
    derailed = b["loss_after_window"] - h["loss_after_window"]
    unclipped = b["grad_norm_post_at_spike"] == b["grad_norm_pre_at_spike"]
    detected = unclipped and derailed > 0.3 and b["final_val_loss"] > h["final_val_loss"]
    return BreakOutcome(
        healthy=h,
        broken=b,
        symptom=(
            f"the unclipped spike (‖g‖ = {b['grad_norm_pre_at_spike']:.3g} applied in full) leaves the loss "
            f"{derailed:+.2f} nats above the clipped run {w} steps later; final val "
            f"{b['final_val_loss']:.3f} vs {h['final_val_loss']:.3f}"
        ),
        detected=bool(detected),
    )
