"""Phase 28 lab `28-qlora-preview`: the same learner adapter on a 4-bit NF4 base.

Three things are measured in one run: what NF4 does to the frozen base alone (weight error, logit drift and
the correction scores on all three row sets, before any adapter), whether an adapter trained *on* the
quantised base (QLoRA) recovers what the float base's adapter reaches, and the bytes: the base's projection
weights in float32 against packed NF4 with its per-block scales, next to the adapter's own bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.registry import LabContext, lab
from minigrad.tensor import no_grad
from minimodel.data import encode_rows
from minituner.experiment import before_after_table, run_adapter, score_sets
from minituner.labs._setup import fresh_base, setup_for
from minituner.lora import LoRAConfig, lora_parameters
from minituner.qlora import quantize_base
from minituner.train import FineTuneConfig

MODES: dict[str, dict[str, Any]] = {
    "smoke": {"steps": 3, "limit": 6, "control": 6, "replay": 0.5, "rank": 8, "lr": 3e-3},
    "default": {"steps": 60, "limit": None, "control": 200, "replay": 0.5, "rank": 8, "lr": 3e-3},
    "full": {"steps": 200, "limit": None, "control": 600, "replay": 0.5, "rank": 8, "lr": 3e-3},
}


@lab("28-qlora-preview", title="QLoRA preview: the learner adapter on an NF4 base")
def qlora_preview(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, MODES)
    setup = setup_for(cfg, ctx.seed)
    lora = LoRAConfig(rank=int(cfg["rank"]))
    train = FineTuneConfig(steps=int(cfg["steps"]), lr=float(cfg["lr"]), seed=ctx.seed)
    base, quantised = fresh_base(), fresh_base()
    report = quantize_base(quantised)
    encoded = encode_rows(setup.tokenizer, setup.experiment.control[:8])
    width = min(len(row) for row in encoded.ids)
    ids = np.array(
        [row[:width] for row in encoded.ids]
    )  # (B, T) real framed sentences, cropped alike
    with no_grad():
        ref, q = base(ids).data, quantised(ids).data  # (B, T, V) each
    before = {
        "float base": score_sets(base, setup.tokenizer, setup.experiment),
        "NF4 base": score_sets(quantised, setup.tokenizer, setup.experiment),
    }
    lora_run = run_adapter(
        base, setup.tokenizer, setup.experiment, lora, train, replay=setup.replay
    )
    qlora_run = run_adapter(
        quantised, setup.tokenizer, setup.experiment, lora, train, replay=setup.replay
    )
    after = {
        "NF4 base": before["NF4 base"],
        "LoRA (float base)": lora_run.after,
        "QLoRA (NF4 base)": qlora_run.after,
    }
    table = before_after_table(before["float base"], after, metric="exact_correction")
    ctx.path("table.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    adapter_bytes = sum(p.data.nbytes for p in lora_parameters(quantised))
    finite = bool(np.isfinite(qlora_run.losses).all())
    return {
        "quantisation": report.to_dict(),
        "logit_mean_abs_diff": float(np.abs(q - ref).mean()),
        "logit_mean_abs": float(np.abs(ref).mean()),
        "logit_relative_diff": float(np.abs(q - ref).mean() / np.abs(ref).mean()),
        "before": before,
        "after": after,
        "losses_finite": finite,
        "qlora_loss_first_last": [qlora_run.losses[0], qlora_run.losses[-1]],
        "lora_loss_first_last": [lora_run.losses[0], lora_run.losses[-1]],
        "memory_bytes": {
            "float_base_projections": report.float_bytes,
            "nf4_base_projections": report.nf4_bytes,
            "adapter_float32": adapter_bytes,
            "lora_total": report.float_bytes + adapter_bytes,
            "qlora_total": report.nf4_bytes + adapter_bytes,
        },
        "table": table,
    }


__all__ = ["qlora_preview"]
