"""Phase 19 lab: inject one gradient spike at a chosen step, with and without clipping, and time the recovery.

The injection multiplies step S's loss by `scale` (the seed's injection A multiplies the gradients by 50; the
loss scale does exactly that through backward). Three runs share the seed, the data order and so every batch: a
reference without injection, the injection with clipping at 1.0 and the injection without. Because the batches
are identical, the per-step loss difference to the reference isolates the spike's effect from batch noise, and
the recovery time is the number of steps after S until that difference, averaged over `window` steps, is back
under `tolerance` nats. Clipping caps the spike's gradient at norm 1: the update is an ordinary one, and when
the reference's own gradient at S was also above the threshold, it is exactly the same vector. Unclipped,
AdamW still normalises the step, but the huge g² enters the second moment v, whose memory is ~1/(1−β₂) = 20
steps, so the following updates shrink and the run lags its twin for a while.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minitrain.config import TrainConfig
from minitrain.labs._corpus import tiny_trainer


def recovery_steps(
    loss: Sequence[float],
    reference: Sequence[float],
    spike_step: int,
    *,
    window: int = 5,
    tolerance: float = 0.05,
) -> int | None:
    """Steps after `spike_step` (1-based) to the first `window`-step span whose mean of loss − reference is ≤
    tolerance, with every later span too.

    "Stays" is checked to the end of the run, so a run that dips back once and drifts away again has not
    recovered. None: never recovered within the run.
    """
    if len(loss) != len(reference):
        raise ValueError(f"loss has {len(loss)} steps, reference {len(reference)}")
    gap = np.asarray(loss, np.float64) - np.asarray(reference, np.float64)  # (steps,)
    if not 1 <= spike_step <= gap.size:
        raise ValueError(f"spike_step {spike_step} is outside 1..{gap.size}")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    after = gap[spike_step - 1 :]  # index 0 = the spike step itself
    if after.size < window:
        return None
    smooth = np.convolve(after, np.ones(window) / window, mode="valid")  # (n - window + 1,)
    bad = np.flatnonzero(~(smooth <= tolerance))  # NaN counts as not recovered
    if bad.size == 0:
        return 0
    last_bad = int(bad[-1])
    return None if last_bad == smooth.size - 1 else last_bad + 1


@lab(
    "19-spike-injection",
    title="A ×k gradient spike at step S, with and without clipping: grad norms and recovery",
)
def spike_injection(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"steps": 12, "spike": 4, "scale": 1000.0},
            "default": {"steps": 160, "spike": 60, "scale": 50.0},
            "full": {"steps": 800, "spike": 500, "scale": 50.0},
        },
    )
    s, steps = cfg["spike"], cfg["steps"]
    base = TrainConfig(
        steps=steps,
        warmup_steps=max(1, min(100, steps // 10)),
        lr_max=3e-3,
        lr_min=3e-4,
        eval_every=steps,
        seed=ctx.seed,
    )
    runs = {
        "reference": {"grad_clip": 1.0, "spike_step": None, "spike_scale": 1.0},
        "clipped": {"grad_clip": 1.0, "spike_step": s, "spike_scale": cfg["scale"]},
        "unclipped": {"grad_clip": None, "spike_step": s, "spike_scale": cfg["scale"]},
    }
    records: dict[str, list[dict[str, Any]]] = {}
    val: dict[str, float] = {}
    for label, overrides in runs.items():
        trainer = tiny_trainer(base, **overrides)
        records[label] = trainer.fit()
        val[label] = trainer.evaluate().loss
    ref_loss = [r["loss"] for r in records["reference"]]
    summary: dict[str, Any] = {}
    for label in ("clipped", "unclipped"):
        loss = [r["loss"] for r in records[label]]
        at = records[label][s - 1]
        tail = slice(min(s + 10, steps - 1), steps)
        summary[label] = {
            "grad_norm_pre_at_spike": at["grad_norm_pre"],
            "grad_norm_post_at_spike": at["grad_norm_post"],
            "reference_grad_norm_at_spike": records["reference"][s - 1]["grad_norm_pre"],
            "peak_loss_excess": float(np.max(np.subtract(loss[s:], ref_loss[s:]))),
            "recovery_steps": recovery_steps(loss, ref_loss, s),
            "mean_excess_after_10": float(np.mean(np.subtract(loss[tail], ref_loss[tail]))),
            "final_val_loss": val[label],
        }
    fig, axes = figure(1, 3, width=16)
    styles = {
        "reference": {"color": "grey", "lw": 3, "alpha": 0.4},
        "clipped": {"color": "tab:blue", "lw": 1},
        "unclipped": {"color": "tab:red", "lw": 1},
    }
    x = np.arange(1, steps + 1)
    for label, recs in records.items():
        axes[0].plot(x, [r["loss"] for r in recs], label=label, **styles[label])
    for label in ("clipped", "unclipped"):
        recs, colour = records[label], styles[label]["color"]
        axes[1].plot(x, [r["grad_norm_pre"] for r in recs], color=colour, lw=1,
                     label=f"{label}: pre-clip")  # fmt: skip
        axes[1].plot(x, [r["grad_norm_post"] for r in recs], color=colour, lw=1, ls="--",
                     label=f"{label}: post-clip (applied)")  # fmt: skip
        excess = np.subtract([r["loss"] for r in recs], ref_loss)
        rec = summary[label]["recovery_steps"]
        axes[2].plot(x, excess, color=colour, lw=1,
                     label=f"{label}: recovery {'none' if rec is None else f'{rec} steps'}")  # fmt: skip
    axes[1].axhline(1.0, color="grey", ls=":", label="clip threshold 1.0")
    axes[1].set_yscale("log")
    axes[2].axhspan(-0.05, 0.05, color="tab:green", alpha=0.15, label="recovered band (±0.05)")
    for ax in axes:
        ax.axvline(s, color="grey", ls=":", lw=1)
        ax.set_xlabel("optimiser step")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("train loss (nats/token)")
    axes[1].set_ylabel("global gradient norm ‖g‖₂")
    axes[2].set_ylabel("loss − reference loss, same batch (nats)")
    save_png(
        fig,
        ctx.out_dir / "spike_injection.png",
        title=f"Gradient ×{cfg['scale']:g} injected at step {s}",
    )
    return {
        "spike_step": s,
        "scale": cfg["scale"],
        "reference_val_loss": val["reference"],
        **summary,
    }


__all__ = ["recovery_steps"]
