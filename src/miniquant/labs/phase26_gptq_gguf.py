"""Phase 26 labs: GPTQ against round-to-nearest on a synthetic layer, and the tutor exported to files.

- `26-gptq-toy`: the seed's setup — W ~ N(0, 0.02²) of shape (768, 768), calibration X ~ N(0, 1) with 128
  samples, INT4 per group g = 64. The layer loss tr(ΔW H ΔWᵀ) of GPTQ over RTN's (the paper's regime is
  0.3–0.7; near 1 would mean the error propagation does nothing), measured on the calibration inputs and on
  fresh ones, for Gaussian inputs, correlated inputs and heavy-tailed (Cauchy) ones; plus how many weights
  GPTQ rounds to a different grid point than RTN.
- `26-gguf-export`: the shipped tutor as INT8 per channel and INT4 g = 32 GGUF-lite files (read back through
  the memory map) and as a real GGUF file (Q8_0/Q4_0, read back by the `gguf` package); sizes against the
  FP32 safetensors checkpoint and the largest logit difference after each round trip.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from minimodel.infer import FastMiniGPT
from minimodel.shipped import load_shipped_model, shipped_dir
from minimodel.weights import MODEL_FILE
from miniquant.gguf_export import export_gguf, read_gguf_dequantized
from miniquant.gptq import gptq_quantize, hessian
from miniquant.labs.phase26_pareto import CHECKPOINT
from miniquant.model import is_in_out, load_quantized, quantize_model, save_quantized
from miniquant.quantize import QuantSpec, quantize


def _inputs(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n input rows of one distribution (one mixing matrix for all rows of the correlated kind)."""
    if kind == "gaussian":
        return rng.normal(size=(n, d))
    if kind == "correlated":
        return rng.normal(size=(n, 16)) @ rng.normal(size=(16, d)) + 0.1 * rng.normal(size=(n, d))
    return np.clip(rng.standard_cauchy(size=(n, d)), -50, 50)  # heavy tails, clipped to stay finite


def _loss(diff: np.ndarray, h: np.ndarray) -> float:
    return float(np.einsum("oi,ij,oj->", diff, h, diff))


@lab("26-gptq-toy", title="GPTQ vs round-to-nearest on a synthetic Linear(768, 768)")
def gptq_toy(ctx: LabContext) -> Mapping[str, Any]:
    """Also varies the calibration size: with fewer samples than inputs, H = 2XᵀX has rank n < d, and GPTQ
    can trade error along directions the calibration set never visits — it fits the calibration inputs
    and may do worse than RTN on new ones. `ratio_fresh_inputs` measures exactly that."""
    cfg = settings(
        ctx,
        {
            "smoke": {
                "d": 128,
                "samples": [64, 512],
                "group": 64,
                "kinds": ["gaussian", "correlated"],
            },
            "default": {
                "d": 768,
                "samples": [128, 3072],
                "group": 64,
                "kinds": ["gaussian", "correlated", "cauchy"],
            },
        },
    )
    d = int(cfg["d"])
    spec = QuantSpec(4, "group", int(cfg["group"]))
    w = ctx.rng.normal(scale=0.02, size=(d, d)).astype(np.float32)  # (out, in)
    rtn = quantize(w, spec)
    d_rtn = w - rtn.dequantize()  # (out, in)
    out: dict[str, Any] = {}
    row_ratio: dict[str, np.ndarray] = {}
    runs = [(kind, int(n)) for kind in cfg["kinds"] for n in cfg["samples"]]
    for kind, n in track(runs, desc="GPTQ runs"):
        x = _inputs(kind, 5 * n, d, ctx.rng)  # one distribution: calibration rows, then fresh rows
        h, h_fresh = hessian(x[:n]), hessian(x[n:])
        gq = gptq_quantize(w, h, spec)
        d_gptq = w - gq.dequantize()  # (out, in)
        out[f"{kind}/n={n}"] = {
            "loss_rtn": _loss(d_rtn, h),
            "loss_gptq": _loss(d_gptq, h),
            "ratio_calibration": _loss(d_gptq, h) / _loss(d_rtn, h),
            "ratio_fresh_inputs": _loss(d_gptq, h_fresh) / _loss(d_rtn, h_fresh),
            "grid_changes_fraction": float(np.mean(gq.codes != rtn.codes)),
        }
        if n == max(cfg["samples"]):
            per_row = np.einsum("oi,ij,oj->o", d_gptq, h_fresh, d_gptq)
            row_ratio[kind] = per_row / np.einsum("oi,ij,oj->o", d_rtn, h_fresh, d_rtn)
    fig, ax = figure()
    for kind, ratios in row_ratio.items():
        ax.hist(ratios, bins=40, alpha=0.6, label=kind)
    ax.axvline(1.0, color="k", lw=1)
    ax.set(xlabel="per-row output loss on fresh inputs, GPTQ / RTN", ylabel="rows")
    ax.legend()
    save_png(
        fig,
        ctx.path("gptq_rows.png"),
        title="With enough calibration, GPTQ lowers almost every row",
    )
    return {"shape": [d, d], "scheme": spec.label, "runs": out}


@lab("26-gguf-export", title="The tutor as GGUF-lite and real GGUF files: sizes and round trips")
def gguf_export(ctx: LabContext) -> Mapping[str, Any]:
    settings(ctx, {"default": {}})
    model = load_shipped_model(CHECKPOINT).model
    safetensors_bytes = (shipped_dir(CHECKPOINT) / MODEL_FILE).stat().st_size
    ids = ctx.rng.integers(0, model.cfg.vocab_size, size=(4, 32))  # (B, T)
    files: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("int8-channel", "int4-g32"):
            qm = quantize_model(model, name)
            expected = FastMiniGPT(qm.to_model())(ids)
            path = save_quantized(qm, Path(tmp) / f"{name}.glft")
            back = FastMiniGPT(load_quantized(path).to_model())(ids)
            files[f"gguf-lite {name}"] = {
                "bytes": path.stat().st_size,
                "vs_safetensors": safetensors_bytes / path.stat().st_size,
                "max_logit_diff_after_round_trip": float(np.abs(back - expected).max()),
            }
        if importlib.util.find_spec("gguf") is not None:
            qm = quantize_model(model, "int4-g32")
            tensors: dict[str, Any] = {}
            for key, value in qm.tensors.items():
                tensors[key] = value
            path = export_gguf(
                Path(tmp) / "tutor.gguf", tensors, {"minigpt.n_layers": model.cfg.n_layers}
            )
            read = read_gguf_dequantized(path)
            state = {k: (v.T if is_in_out(k) and v.ndim == 2 else v) for k, v in read.items()}
            reloaded = quantize_model(model, "fp32").to_model()
            reloaded.load_state_dict(state)
            files["gguf Q4_0"] = {
                "bytes": path.stat().st_size,
                "vs_safetensors": safetensors_bytes / path.stat().st_size,
                "max_logit_diff_after_round_trip": float(
                    np.abs(FastMiniGPT(reloaded)(ids) - FastMiniGPT(qm.to_model())(ids)).max()
                ),
            }
    return {"safetensors_bytes": safetensors_bytes, "files": files}


__all__ = ["gguf_export", "gptq_toy"]
