"""Phase 19 lab: the three designed failures, trained briefly and diagnosed blind from the dashboard's numbers.

The seed's three: weights initialised ×100 (every matrix and the embedding), no warmup (the schedule starts at
lr_max), and a broken causal mask (each position may attend to the token it must predict). Each runs from the
healthy run's seed with the inspector on; the runs get shuffled names (run_A, run_B, run_C) and `diagnose` reads
only the statistics the dashboard panels plot, compared with the healthy run's, to name the failure. The lab
then reveals the mapping and scores the diagnoses, and its table says which panel gave each failure away:
panel 4 (activation scale at step 0) for the init, panel 2 (lr at step 1) for warmup, panel 1 (a validation
loss far below what the healthy model reaches, i.e. a model reading the answer) for the mask, each with the
panel that corroborated it in our runs (the seed's early grad-norm spike without warmup and dead heads under
the broken mask did not show within 200 steps, so they are not claimed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minimodel.mini_gpt import MiniGPT
from minitrain.config import TrainConfig
from minitrain.dashboard import render
from minitrain.labs._corpus import baseline_ppl, tiny_trainer
from minitrain.metrics import MetricsLog, read_metrics
from minitrain.trainer import Trainer

FAILURES = ("bad-init", "no-warmup", "broken-mask")
INIT_SCALE = 100.0
# which dashboard panel reveals each failure first, and which ones back it up
REVEALED_BY = {
    "bad-init": ("4 · activations at step 0", "1 · initial loss ≫ ln V, 3 · pre-clip norm 10-10³"),
    "no-warmup": (
        "2 · learning rate at step 1",
        "1 · faster early drop, then settles above healthy",
    ),
    "broken-mask": ("1 · validation loss far below healthy", "7 · the irregular-verb gap narrows"),
}


def _break(trainer: Trainer, failure: str) -> None:
    """Apply a failure that lives in the model (the warmup one lives in the config)."""
    model = trainer.model
    if not isinstance(model, MiniGPT):
        raise TypeError(f"expected a MiniGPT, got {type(model).__name__}")
    if failure == "bad-init":
        for p in model.parameters():
            if p.ndim >= 2:
                p.data = p.data * np.float32(INIT_SCALE)
    elif failure == "broken-mask":
        for block in model.blocks:
            block.causal = False


def panel_stats(records: Sequence[Mapping[str, Any]], lr_max: float) -> dict[str, float]:
    """The numbers a reader takes off panels 1-4, 6 and 7 of one run's dashboard."""
    train = [r for r in records if r.get("kind") == "train"]
    evals = [r for r in records if r.get("kind") == "eval"]
    if not train or not evals:
        raise ValueError("panel_stats needs at least one train and one eval record")
    first_acts = evals[0].get("inspect", {}).get("activations", {})
    blocks = [v["mean_abs"] for k, v in first_acts.items() if k.startswith("block_")]
    norms = [r["grad_norm_pre"] for r in train[:5]]
    last = evals[-1]
    dead_heads = sum(last.get("inspect", {}).get("dead_heads", {}).values())
    by_class = last.get("val_by_class", {})
    nan_steps = [r["step"] for r in train if not math.isfinite(r["loss"])]
    return {
        "p1_initial_val_loss": float(evals[0]["val_loss"]),
        "p1_final_val_loss": float(last["val_loss"]),
        "p1_first_nan_step": float(nan_steps[0]) if nan_steps else math.nan,
        "p2_lr_step1_over_max": float(train[0]["lr"]) / lr_max,
        "p3_early_grad_norm": float(np.nanmax(norms)) if norms else math.nan,
        "p4_block_activation_step0": float(np.mean(blocks)) if blocks else math.nan,
        "p6_dead_heads_final": float(dead_heads),
        "p7_irregular_minus_regular": float(
            by_class.get("irregular", math.nan) - by_class.get("regular", math.nan)
        ),
    }


def diagnose(stats: Mapping[str, float], healthy: Mapping[str, float]) -> tuple[str, str]:
    """Name the failure from panel statistics alone (no access to the config or code); returns (label, why)."""
    act = stats["p4_block_activation_step0"] / healthy["p4_block_activation_step0"]
    if act > 10.0:
        return "bad-init", f"panel 4: block activations ×{act:.0f} the healthy run's at step 0"
    if stats["p2_lr_step1_over_max"] > 0.99 > healthy["p2_lr_step1_over_max"]:
        return "no-warmup", "panel 2: the first step already runs at lr_max"
    drop = healthy["p1_final_val_loss"] - stats["p1_final_val_loss"]
    if drop > 0.5:
        return "broken-mask", f"panel 1: validation loss {drop:.2f} nats below the healthy run's"
    return "healthy", "no panel departs from the healthy run"


@lab(
    "19-designed-failures",
    title="Three designed failures, diagnosed blind from the dashboard panels",
)
def designed_failures(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 8, "eval_every": 8, "dashboards": False},
            "default": {"steps": 200, "eval_every": 25, "dashboards": True},
            "full": {"steps": 600, "eval_every": 50, "dashboards": True},
        },
    )
    steps = cfg["steps"]
    base = TrainConfig(
        steps=steps,
        warmup_steps=max(1, steps // 5),
        lr_max=3e-3,
        lr_min=3e-4,
        eval_every=cfg["eval_every"],
        seed=ctx.seed,
    )
    order = np.random.default_rng(ctx.seed).permutation(len(FAILURES))
    blind = {f"run_{'ABC'[i]}": FAILURES[int(j)] for i, j in enumerate(order)}
    baseline = math.log(baseline_ppl())
    stats: dict[str, dict[str, float]] = {}
    curves: dict[str, list[dict[str, Any]]] = {}
    for name, failure in {"healthy": "healthy", **blind}.items():
        log = MetricsLog(ctx.out_dir / name / "metrics.jsonl")
        overrides = {"warmup_steps": 0} if failure == "no-warmup" else {}
        trainer = tiny_trainer(base, log=log, inspect=True, **overrides)
        _break(trainer, failure)
        trainer.fit()
        records = read_metrics(log.path)
        curves[name] = records
        stats[name] = panel_stats(records, base.lr_max)
        if cfg["dashboards"]:
            render(
                records,
                ctx.out_dir / name / "dashboard.html",
                title=f"19-designed-failures · {name}",
                header={"seed": ctx.seed, "steps": steps},
                baseline_loss=baseline,
                grad_clip=base.grad_clip,
            )
    table = []
    for name, truth in blind.items():
        label, why = diagnose(stats[name], stats["healthy"])
        table.append(
            {
                "run": name,
                "diagnosis": label,
                "evidence": why,
                "actual": truth,
                "correct": label == truth,
                "revealed_by": REVEALED_BY[truth][0],
                "corroborated_by": REVEALED_BY[truth][1],
            }
        )
    fig, axes = figure(1, 3, width=15)
    for name, records in curves.items():
        label = name if name == "healthy" else f"{name} ({blind[name]})"
        evals = [r for r in records if r["kind"] == "eval"]
        train = [r for r in records if r["kind"] == "train"]
        axes[0].plot([r["step"] for r in evals], [r["val_loss"] for r in evals], "o-", ms=3,
                     label=label)  # fmt: skip
        axes[1].plot([r["step"] for r in train], [r["lr"] for r in train], label=label)
        axes[2].plot([r["step"] for r in train], [r["grad_norm_pre"] for r in train], lw=1,
                     label=label)  # fmt: skip
    axes[0].axhline(baseline, color="black", ls="--", lw=1, label="n-gram baseline")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("validation loss (nats/token, log)")
    axes[1].set_ylabel("learning rate")
    axes[2].set_yscale("log")
    axes[2].set_ylabel("global grad norm before clipping")
    for ax in axes:
        ax.set_xlabel("optimiser step")
        ax.legend(fontsize=7)
    save_png(
        fig,
        ctx.out_dir / "designed_failures.png",
        title="Panels 1, 2 and 3 of the healthy run and the three failures (names revealed)",
    )
    return {
        "steps": steps,
        "score": sum(row["correct"] for row in table),
        "table": table,
        "panel_stats": stats,
    }


__all__ = ["FAILURES", "REVEALED_BY", "diagnose", "panel_stats"]
