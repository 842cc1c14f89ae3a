"""Break 26: one outlier channel, one per-tensor INT4 scale, and the tutor stops correcting anything.

Trained transformers grow a few activation/weight channels far larger than the rest. To get one without
changing the model, the break uses an exact symmetry of attention: multiply output channel c of W_v by α
and row c of W_o by 1/α. The value vector's channel c grows by α, attention mixes values linearly, and W_o
undoes the scaling, so the FP32 model computes the same function (the logits agree to float rounding).

But W_v now holds a channel α times larger than the others. A per-tensor INT4 scale is max|W| / 7, set by
that channel: every other weight of the matrix is smaller than half a step and rounds to 0, so the value
path of the layer carries one channel. Per-channel INT4 gives the outlier row its own scale and the rest
of the matrix keeps its resolution. Only that one matrix is quantised in both variants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.paths import data_dir
from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from minicorpus.tutor_build import load_tutor_split
from minimodel.data import load_tokenizer
from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import MiniGPT
from minimodel.shipped import load_shipped_model
from miniquant.evaluate import correction_accuracy, subset
from miniquant.labs.phase26_pareto import CHECKPOINT, id_batches
from miniquant.quantize import QuantSpec, quantize

LAYER = "blocks.0.attn.w_v"


def plant_outlier_channel(model: MiniGPT, block: int, channel: int, alpha: float) -> None:
    """Scale value channel `channel` of `block` by α and undo it in W_o: same function, one huge channel."""
    layer: Any = model.blocks[block]
    attn = layer.attn
    attn.w_v.data[:, channel] *= alpha  # (in, out): output channel c is a column
    attn.w_o.data[channel, :] /= alpha  # (in, out): W_o reads channel c from row c


def quantize_one(model: MiniGPT, name: str, spec: QuantSpec) -> dict[str, Any]:
    """Replace one (in, out) attention matrix by its quantised-then-dequantised self; report the damage."""
    param = dict(model.named_parameters())[name]
    w = param.data.T  # (out, in)
    qt = quantize(w, spec)
    param.data[...] = qt.dequantize().T
    return {"zeroed_fraction": float(np.mean(qt.codes == 0)), "scale_max": float(qt.scales.max())}


@breaks(
    26,
    title="Per-tensor INT4 on a layer with an outlier channel",
    change="one W_v output channel scaled ×α (undone in W_o), then that matrix quantised INT4 with one scale",
)
def outlier_break(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx, {"smoke": {"rows": 40, "alpha": 30.0}, "default": {"rows": 200, "alpha": 30.0}}
    )
    tokenizer = load_tokenizer()
    rows = subset(load_tutor_split(data_dir() / "tutor", "frames")["test"], int(cfg["rows"]))
    reference = load_shipped_model(CHECKPOINT).model
    probe = id_batches(tokenizer, rows[:4], reference.cfg.context_len)[0]
    expected = FastMiniGPT(reference)(probe)
    found: dict[str, Mapping[str, Any]] = {}
    for variant, spec in (("healthy", QuantSpec(4, "channel")), ("broken", QuantSpec(4, "tensor"))):
        model = load_shipped_model(CHECKPOINT).model
        plant_outlier_channel(model, block=0, channel=5, alpha=float(cfg["alpha"]))
        fp_gap = float(np.abs(FastMiniGPT(model)(probe) - expected).max())
        damage = quantize_one(model, LAYER, spec)
        found[variant] = {
            "scheme": spec.label,
            "fp32_logit_gap_after_planting": fp_gap,
            **damage,
            "correction": correction_accuracy(model, tokenizer, rows),
        }
    baseline = correction_accuracy(reference, tokenizer, rows)["accuracy"]
    healthy, broken = found["healthy"], found["broken"]
    detected = (
        healthy["fp32_logit_gap_after_planting"] < 1e-3
        and healthy["correction"]["accuracy"] >= baseline - 0.03
        and broken["correction"]["accuracy"] < 0.5 * healthy["correction"]["accuracy"]
        and broken["zeroed_fraction"] > 0.9
    )
    return BreakOutcome(
        healthy={**healthy, "fp32_accuracy": baseline},
        broken=broken,
        symptom="per-tensor INT4 rounds all but the outlier channel of W_v to 0: correction accuracy collapses",
        detected=detected,
    )


__all__ = ["outlier_break", "plant_outlier_channel", "quantize_one"]
