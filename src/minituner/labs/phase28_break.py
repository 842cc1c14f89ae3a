"""Break 28: forget the α/r in LoRA's scale.

The healthy layer multiplies B A by α/r; the broken one by α alone. Adam moves each entry of B by about lr
on its first step whatever the gradient's size, and r such entries add up coherently in B A, so without the
1/r the first update grows with the rank (∝ √r here) and a learning rate tuned at r = 8 overshoots at
r = 32; with it the update shrinks as r grows (∝ 1/√r), never the other way. The symptom, asserted: from
r = 2 to r = 32 the broken layer's first-step ‖ΔW‖ grows more than twofold while the healthy one's does not grow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from minituner.lora import LoRAFactors, first_step_update


class UnscaledFactors(LoRAFactors):
    """Break 28: the update is α·B A, the 1/r forgotten."""

    def scaling(self) -> float:
        return self.alpha


def _norms(cls: type[LoRAFactors], ranks: list[int], width: int, seed: int) -> list[float]:
    grad = np.random.default_rng(seed).standard_normal(
        (width, width)
    )  # (out, in) dL/dW, one for all
    norms = []
    for rank in ranks:
        factors = cls(width, width, rank, 16.0, rng=np.random.default_rng(seed + rank))
        norms.append(float(np.linalg.norm(first_step_update(factors, grad, lr=1e-3))))
    return norms


@breaks(28, title="LoRA without α/r", change="the adapter's scale is α instead of α/r")
def unscaled_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"ranks": [2, 8, 32], "width": 128},
            "default": {"ranks": [1, 2, 4, 8, 16, 32, 64], "width": 128},
        },
    )
    ranks = [int(r) for r in cfg["ranks"]]
    found: dict[str, dict[str, Any]] = {}
    for name, cls in (("healthy", LoRAFactors), ("broken", UnscaledFactors)):
        norms = _norms(cls, ranks, int(cfg["width"]), ctx.seed)
        found[name] = {
            "ranks": ranks,
            "first_step_norm": norms,
            "growth_first_to_last": norms[-1] / norms[0],
        }
    detected = (
        found["healthy"]["growth_first_to_last"] <= 1.0
        and found["broken"]["growth_first_to_last"] > 2.0
    )
    return BreakOutcome(
        healthy=found["healthy"],
        broken=found["broken"],
        symptom="the first update's size grows with the rank instead of staying bounded",
        detected=detected,
    )


__all__ = ["UnscaledFactors", "unscaled_break"]
