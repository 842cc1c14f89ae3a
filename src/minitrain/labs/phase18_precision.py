"""Phase 18 lab: the fp16 (and bf16) forward-drift preview — what 16-bit storage would cost the MiniGPT.

No mixed-precision *training* here (a CPU gains nothing from it); the question is only how far the logits move
when every weight and every layer output is rounded to a 16-bit format while the arithmetic in between stays
float32 (the "keep fp32 accumulators" rule). fp16 keeps 10 mantissa bits (unit roundoff 2⁻¹¹) and overflows past
65504; bf16 keeps float32's 8 exponent bits and only 7 mantissa bits (unit roundoff 2⁻⁸), so its drift should
be about 2³ = 8× fp16's. Both roundings are `minigrad.floatbits.round_fp16` / `round_bf16`, whole-array
versions of phase 02's bit-level rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from minigrad.floatbits import round_bf16, round_fp16
from minigrad.nn import Module
from minigrad.tensor import Tensor, no_grad
from minimodel.mini_gpt import MiniGPT
from minitrain.batcher import fixed_batches
from minitrain.config import TrainConfig
from minitrain.labs._corpus import corpus, tiny_trainer
from minitrain.metrics import token_nll

F32 = npt.NDArray[np.float32]
Rounder = Callable[[npt.NDArray[Any]], F32]


FORMATS: dict[str, tuple[Rounder, float]] = {
    "fp16": (round_fp16, 2.0**-11),
    "bf16": (round_bf16, 2.0**-8),
}


def probed_layers(model: MiniGPT) -> dict[str, Module]:
    """The residual stream at each depth: embedding output, each block's output, the final norm."""
    layers: dict[str, Module] = {"embed_out": model.tok_emb}
    for i, block in enumerate(model.blocks):
        layers[f"block_{i}_out"] = block
    layers["final_norm_out"] = model.norm_f
    return layers


@contextmanager
def rounded(
    model: MiniGPT, rounder: Rounder | None, capture: dict[str, npt.NDArray[Any]]
) -> Iterator[None]:
    """Within the block: weights rounded by `rounder` (restored after), each probed layer's output rounded
    too and recorded into `capture`. `rounder=None` records the float32 reference without changing anything."""
    saved = [(p, p.data) for p in model.parameters()]
    layers = probed_layers(model)
    for name, module in layers.items():
        original = type(module).forward.__get__(module)

        def hooked(
            *args: Any, _f: Any = original, _n: str = name, **kwargs: Any
        ) -> Tensor:  # bind per layer
            out: Tensor = _f(*args, **kwargs)
            data = out.data if rounder is None else rounder(out.data)
            capture[_n] = data
            return out if rounder is None else Tensor(data)

        object.__setattr__(module, "forward", hooked)
    try:
        if rounder is not None:
            for p, data in saved:
                p.data = rounder(data)
        yield
    finally:
        for p, data in saved:
            p.data = data
        for module in layers.values():
            del module.forward


def _forward(
    model: MiniGPT, rounder: Rounder | None, ids: npt.NDArray[np.int64]
) -> dict[str, npt.NDArray[Any]]:
    capture: dict[str, npt.NDArray[Any]] = {}
    with no_grad(), rounded(model, rounder, capture):
        logits = model.forward(ids).data  # (B, T, V)
    capture["logits"] = logits if rounder is None else rounder(logits)
    return capture


def relative_error(ref: npt.NDArray[Any], other: npt.NDArray[Any]) -> float:
    """‖a − b‖ / ‖a‖ in float64 (inf if the rounded run overflowed)."""
    a, b = np.asarray(ref, np.float64), np.asarray(other, np.float64)
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + 1e-12))


def drift_report(model: MiniGPT, sequences: list[list[int]], batch_size: int) -> dict[str, Any]:
    """Per format: per-layer relative error, logit drift on real positions, loss drift, top-1 agreement."""
    report: dict[str, Any] = {}
    layer_err: dict[str, dict[str, list[float]]] = {f: {} for f in FORMATS}
    diffs: dict[str, list[npt.NDArray[np.float64]]] = {f: [] for f in FORMATS}
    nll: dict[str, list[float]] = {"fp32": [], **{f: [] for f in FORMATS}}
    agree: dict[str, int] = dict.fromkeys(FORMATS, 0)
    positions = 0
    batches = fixed_batches(sequences, batch_size=batch_size, context_len=model.cfg.context_len)
    for batch in batches:
        mask = batch.loss_mask  # (B, T)
        ref = _forward(model, None, batch.inputs)
        nll["fp32"].append(float(token_nll(ref["logits"], batch.targets, mask).sum()))
        top_ref = ref["logits"].argmax(axis=-1)[mask]  # (N,)
        positions += int(mask.sum())
        for fmt, (rounder, _) in FORMATS.items():
            low = _forward(model, rounder, batch.inputs)
            for name, value in low.items():
                layer_err[fmt].setdefault(name, []).append(relative_error(ref[name], value))
            diffs[fmt].append(
                np.abs(low["logits"].astype(np.float64) - ref["logits"])[mask].ravel()
            )
            nll[fmt].append(float(token_nll(low["logits"], batch.targets, mask).sum()))
            agree[fmt] += int((low["logits"].argmax(axis=-1)[mask] == top_ref).sum())
    loss32 = math.fsum(nll["fp32"]) / positions
    for fmt in FORMATS:
        d = np.concatenate(diffs[fmt])
        loss = math.fsum(nll[fmt]) / positions
        report[fmt] = {
            "unit_roundoff": FORMATS[fmt][1],
            "relative_error": {k: float(np.mean(v)) for k, v in layer_err[fmt].items()},
            "max_logit_drift": float(d.max()),
            "mean_logit_drift": float(d.mean()),
            "loss": loss,
            "loss_drift": loss - loss32,
            "top1_agreement": agree[fmt] / positions,
            "argmax_flips": positions - agree[fmt],
            "drift_sample": d,
        }
    report["fp32_loss"] = loss32
    report["positions"] = positions
    return report


@lab("18-mixed-precision", title="fp16/bf16 forward drift of the MiniGPT against float32")
def mixed_precision(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"train_steps": 12, "val_rows": 32},
            "default": {"train_steps": 300, "val_rows": 0},
            "full": {"train_steps": 1500, "val_rows": 0},
        },
    )
    steps = cfg["train_steps"]
    config = TrainConfig(
        steps=steps,
        warmup_steps=steps // 10,
        lr_max=3e-3,
        lr_min=3e-4,
        eval_every=steps,
        seed=ctx.seed,
    )
    trainer = tiny_trainer(
        config
    )  # a trained model: untrained logits are all ≈ 0 and agree trivially
    trainer.fit()
    model = trainer.model
    if not isinstance(model, MiniGPT):
        raise TypeError(f"expected a MiniGPT, got {type(model).__name__}")
    val = corpus().val
    rows = val[: cfg["val_rows"]] if cfg["val_rows"] else val
    report = drift_report(model, rows, batch_size=32)
    layers = list(report["fp16"]["relative_error"])
    fig, axes = figure(1, 2, width=12)
    x = np.arange(len(layers))
    for offset, fmt, colour in ((-0.2, "fp16", "tab:blue"), (0.2, "bf16", "tab:orange")):
        errs = [report[fmt]["relative_error"][k] for k in layers]
        axes[0].bar(x + offset, errs, width=0.4, color=colour, label=fmt)
        axes[0].axhline(FORMATS[fmt][1], color=colour, ls="--", lw=1, label=f"{fmt} unit roundoff")
    axes[0].set_yscale("log")
    axes[0].set_xticks(x, layers, rotation=30, ha="right", fontsize=8)
    axes[0].set_ylabel("relative error ‖x₁₆ − x₃₂‖ / ‖x₃₂‖")
    axes[0].legend(fontsize=8)
    for fmt, colour in (("fp16", "tab:blue"), ("bf16", "tab:orange")):
        sample = np.clip(report[fmt]["drift_sample"], 1e-9, None)
        axes[1].hist(
            np.log10(sample),
            bins=50,
            alpha=0.6,
            color=colour,
            label=f"{fmt}: top-1 agrees on {report[fmt]['top1_agreement']:.1%}",
        )
    axes[1].set_xlabel("log₁₀ |logit₁₆ − logit₃₂| per (position, vocab entry)")
    axes[1].set_ylabel("count")
    axes[1].legend(fontsize=8)
    save_png(
        fig,
        ctx.out_dir / "drift_per_layer.png",
        title=f"16-bit forward drift of the tiny MiniGPT after {steps} steps",
    )
    out: dict[str, Any] = {"train_steps": steps, "positions": report["positions"]}
    out["fp32_loss"] = report["fp32_loss"]
    for fmt in FORMATS:
        out[fmt] = {k: v for k, v in report[fmt].items() if k != "drift_sample"}
    out["bf16_over_fp16_logit_error"] = (
        out["bf16"]["relative_error"]["logits"] / out["fp16"]["relative_error"]["logits"]
    )
    return out


__all__ = ["FORMATS", "drift_report"]
