"""Phase 18 labs and break: the first real run, the checkpoint round trip, and weight decay switched off.

`18-first-run` trains the `tiny` MiniGPT with the phase's defaults and checks it against the n-gram
baseline on the same validation split. `18-checkpoint-roundtrip` splits a run in two through a checkpoint on
disk and compares the losses with an unbroken run, bit for bit, and the files of two successive saves, byte for
byte. The break trains twice from the same seed with weight decay 0.1 and 0: without decay the weight matrices
grow further from zero and the train/validation gap widens — a slow failure, not a crash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minitrain.checkpoint import checkpoint_files, read_checkpoint, restore, save_checkpoint
from minitrain.config import TrainConfig
from minitrain.labs._corpus import baseline_ppl, matrix_norm, tiny_trainer
from minitrain.trainer import Trainer


def _last_loss(trainer: Trainer) -> float:
    if trainer.last_eval is None:  # set before any on_eval callback runs
        raise RuntimeError("on_eval ran before an evaluation")
    return trainer.last_eval.loss


def _curves(records: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
    return [r["step"] for r in records], [r["loss"] for r in records]


@lab(
    "18-first-run",
    title="Train the tiny MiniGPT and beat the n-gram baseline's validation perplexity",
)
def first_run(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 60, "eval_every": 20, "patience": 0},
            "default": {"steps": 2000, "eval_every": 50, "patience": 6},
            "full": {"steps": 2000, "eval_every": 50, "patience": 0},
        },
    )
    config = TrainConfig(
        steps=cfg["steps"],
        warmup_steps=min(100, cfg["steps"] // 10),
        eval_every=cfg["eval_every"],
        patience=cfg["patience"] or None,
        seed=ctx.seed,
    )
    trainer = tiny_trainer(config)
    evals: list[tuple[int, float]] = []
    records = trainer.fit(on_eval=lambda t: evals.append((t.step, _last_loss(t))))
    baseline = baseline_ppl()
    best_ppl = math.exp(trainer.best_val)
    fig, ax = figure()
    steps, losses = _curves(records)
    ax.plot(steps, losses, color="tab:blue", alpha=0.35, lw=0.8, label="train loss (per step)")
    ax.plot(*zip(*evals, strict=True), "o-", color="tab:orange", ms=3, label="validation loss")
    ax.axhline(
        math.log(baseline), color="black", ls="--", label=f"n-gram baseline (ppl {baseline:.1f})"
    )
    ax.axvline(trainer.best_step, color="tab:green", ls=":", label=f"best step {trainer.best_step}")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.legend(fontsize=8)
    save_png(fig, ctx.out_dir / "first_run_loss.png", title="Tiny MiniGPT vs the n-gram baseline")
    return {
        "steps_run": trainer.step,
        "best_step": trainer.best_step,
        "val_perplexity": best_ppl,
        "ngram_val_perplexity": baseline,
        "beats_baseline": best_ppl < baseline,
        "improvement": 1.0 - best_ppl / baseline,
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }


@lab("18-checkpoint-roundtrip", title="Resume from disk reproduces an unbroken run bit for bit")
def checkpoint_roundtrip(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"steps": 16}, "default": {"steps": 80}, "full": {"steps": 300}})
    steps = cfg["steps"]
    config = TrainConfig(
        steps=steps, warmup_steps=steps // 10, eval_every=steps // 2, seed=ctx.seed
    )
    model_cfg = {"lab": "18-checkpoint-roundtrip"}
    reference = [r["loss"] for r in tiny_trainer(config).fit()]
    first = tiny_trainer(config)
    part_a = [r["loss"] for r in first.fit(until=steps // 2)]
    save_checkpoint(ctx.out_dir / "ckpt_a", first, model_config=model_cfg)
    second: Trainer = tiny_trainer(
        config, model_seed=ctx.seed + 1
    )  # wrong init on purpose: disk must win
    restore(second, read_checkpoint(ctx.out_dir / "ckpt_a"))
    save_checkpoint(ctx.out_dir / "ckpt_b", second, model_config=model_cfg)
    identical = {
        a.name: a.read_bytes() == b.read_bytes()
        for a, b in zip(
            checkpoint_files(ctx.out_dir / "ckpt_a"),
            checkpoint_files(ctx.out_dir / "ckpt_b"),
            strict=True,
        )
    }
    part_b = [r["loss"] for r in second.fit()]
    resumed = np.array(part_a + part_b)
    diff = np.abs(resumed - np.array(reference))
    weights = ctx.out_dir / "ckpt_a" / "model.safetensors"
    unique_bytes = sum(p.data.nbytes for p in first.optimizer.params)
    fig, axes = figure(1, 2, width=11)
    axes[0].plot(reference, lw=2.5, alpha=0.5, label="uninterrupted")
    axes[0].plot(resumed, ls="--", label="checkpoint at the midpoint, resumed")
    axes[0].axvline(steps // 2, color="black", ls=":", label="save / load")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("train loss (nats/token)")
    axes[0].legend(fontsize=8)
    axes[1].plot(diff, "o", ms=3)
    axes[1].set_xlabel("step")
    axes[1].set_ylabel("|resumed − uninterrupted| (nats)")
    axes[1].set_title(f"max difference = {diff.max():g}")
    save_png(
        fig, ctx.out_dir / "resume_exactness.png", title="Five state machines saved and restored"
    )
    return {
        "steps": steps,
        "max_abs_loss_diff": float(diff.max()),
        "exact": bool(np.array_equal(resumed, np.array(reference))),
        "byte_identical": identical,
        "weights_file_bytes": weights.stat().st_size,
        "unique_parameter_bytes": unique_bytes,
    }


@breaks(
    18,
    title="AdamW with weight_decay=0 instead of 0.1",
    change="the decoupled decay term λθ is switched off; every other setting and the seed are unchanged",
)
def weight_decay_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx, {"smoke": {"steps": 60}, "default": {"steps": 600}, "full": {"steps": 2000}}
    )
    base = TrainConfig(
        steps=cfg["steps"],
        warmup_steps=cfg["steps"] // 10,
        lr_max=3e-3,
        lr_min=3e-4,
        eval_every=max(cfg["steps"] // 4, 1),
        seed=ctx.seed,
    )
    outcome: dict[str, dict[str, float]] = {}
    for label, decay in (("healthy", 0.1), ("broken", 0.0)):
        trainer = tiny_trainer(base, weight_decay=decay)
        start = matrix_norm(trainer)
        records = trainer.fit()
        final = trainer.evaluate().loss
        train_tail = float(np.mean([r["loss"] for r in records[-20:]]))
        lr_sum = math.fsum(r["lr"] for r in records)
        outcome[label] = {
            "weight_decay": decay,
            "lr_sum": lr_sum,
            "matrix_norm_growth": matrix_norm(trainer) / start,
            "train_loss": train_tail,
            "val_loss": final,
            "gap": final - train_tail,
        }
    growth_h, growth_b = (
        outcome["healthy"]["matrix_norm_growth"],
        outcome["broken"]["matrix_norm_growth"],
    )
    # decoupled decay multiplies θ by (1 − ηλ) each step: over the run about exp(−λ Σ η), the gap we expect
    expected = math.exp(0.1 * outcome["healthy"]["lr_sum"]) - 1.0
    measured = growth_b / growth_h - 1.0
    detected = measured > 0.5 * expected
    return BreakOutcome(
        healthy=outcome["healthy"],
        broken=outcome["broken"],
        symptom=(
            f"without decay the weight matrices grow ×{growth_b:.3f} (×{growth_h:.3f} with λ = 0.1: "
            f"{measured:.1%} apart, decay alone predicts {expected:.1%}); "
            f"train/val gap {outcome['broken']['gap']:.3f} vs {outcome['healthy']['gap']:.3f} nats"
        ),
        detected=detected,
    )
