"""Phase 26 lab: the shipped tutor under every storage scheme — bytes, perplexity, correction accuracy, speed.

`26-pareto` quantises the shipped grammar checkpoint (weight-only PTQ of every block matrix; embedding in
float16, norms and biases in float32) under FP32, FP16, INT8 per tensor and per channel, INT4 per group
(g = 32/64/128), NF4 and GPTQ-INT4 (same groups, calibrated on 128 training answers). For each it measures:

- bytes: the size of the GGUF-lite file actually written (and checks the file reads back to the same logits);
- perplexity of the answer tokens and correction accuracy (Wilson 95 %) on a fixed subset of the frames
  test split: 400 evenly spaced rows by default, all 2,608 in `full` mode;
- decode tokens/s at batch 1 from the stored form (weights expanded at every product; INT8 per channel also
  through the W8A8 integer path), all runners timed in interleaved rounds, ratios against FP32 per round;
- GPTQ against round-to-nearest where accuracy is saturated: the layer loss tr(ΔW H ΔWᵀ) summed over all
  block matrices, with H from *held-out* (test) activations, not the calibration ones;
- the roofline of this machine (phase 01's ceilings) with one decode point per scheme.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.labkit import paired_median_ratio, settings
from lynx_cortex.paths import data_dir
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from minicorpus.tutor_build import load_tutor_split
from minigrad.hardware import attainable_gflops, ridge_point
from minigrad.labs.phase01_hardware import measure_ceilings
from miniinfer.prompting import prompt_ids
from minimodel.data import load_tokenizer
from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import MiniGPT
from minimodel.shipped import load_shipped_model
from miniquant.evaluate import (
    answer_ids,
    answer_perplexity,
    correction_accuracy,
    decode_seconds,
    subset,
)
from miniquant.model import (
    EMBEDDING,
    QuantizedModel,
    is_in_out,
    load_quantized,
    quantize_model,
    save_quantized,
)
from miniquant.runtime import calibration_hessians, quantized_runner
from minitoken.bpe import BPETokenizer

CHECKPOINT = "grammar"
ALL_SCHEMES = (
    "fp32",
    "fp16",
    "int8-tensor",
    "int8-channel",
    "int4-g128",
    "int4-g64",
    "int4-g32",
    "nf4",
    "gptq-int4-g128",
    "gptq-int4-g64",
    "gptq-int4-g32",
)
W8A8 = "int8-channel+w8a8"
MIB = 1 << 20

_SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": {
        "rows": 24,
        "calibration_rows": 16,
        "schemes": ["fp32", "int8-channel", "int4-g32", "gptq-int4-g32"],
        "decode_steps": 4,
        "rounds": 3,
        "gemm_n": 128,
        "stream_mib": 8,
    },
    "default": {
        "rows": 400,
        "calibration_rows": 128,
        "schemes": list(ALL_SCHEMES),
        "decode_steps": 32,
        "rounds": 7,
        "gemm_n": 512,
        "stream_mib": 64,
    },
    "full": {
        "rows": None,
        "calibration_rows": 128,
        "schemes": list(ALL_SCHEMES),
        "decode_steps": 48,
        "rounds": 9,
        "gemm_n": 512,
        "stream_mib": 128,
    },
}


def id_batches(
    tokenizer: BPETokenizer, rows: Sequence[Mapping[str, Any]], context: int
) -> list[np.ndarray]:
    """Prompt + answer ids of rows, grouped into (B, T) batches of equal length (cut to the context)."""
    groups: dict[int, list[list[int]]] = {}
    for row in rows:
        ids = answer_ids(tokenizer, row)[0][:context]
        groups.setdefault(len(ids), []).append(ids)
    return [np.array(g) for g in groups.values()]


def layer_loss(qm: QuantizedModel, model: MiniGPT, hessians: Mapping[str, np.ndarray]) -> float:
    """Σ over block matrices of tr(ΔW H ΔWᵀ) / 2: the summed squared output error on H's inputs."""
    state, restored = model.state_dict(), qm.state_dict()
    total = 0.0
    for name in qm.weights():
        w = np.asarray(state[name], dtype=np.float64)
        deq = restored[name].astype(np.float64)
        diff = (w - deq).T if is_in_out(name) else (w - deq)  # (out, in)
        total += float(np.einsum("oi,ij,oj->", diff, hessians[name], diff)) / 2
    return total


def _decode_flops_and_bytes(qm: QuantizedModel) -> tuple[float, float]:
    """FLOPs and weight bytes of one decode token (the block matrices and the tied LM head)."""
    matrices = [
        v
        for k, v in qm.tensors.items()
        if k.startswith("blocks.")
        and len(v.shape) == 2  # quantised, or a float (in, out)/(out, in) array
    ]
    params = sum(math.prod(v.shape) for v in matrices)
    head = qm.tensors[EMBEDDING]
    flops = 2.0 * (params + math.prod(head.shape))
    return flops, float(sum(v.nbytes for v in matrices) + head.nbytes)


def _measure_schemes(
    ctx: LabContext,
    cfg: Mapping[str, Any],
    model: MiniGPT,
    tokenizer: BPETokenizer,
    split: Mapping[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, QuantizedModel]]:
    rows = subset(split["test"], cfg["rows"])
    context = model.cfg.context_len
    calibration = id_batches(
        tokenizer, subset(split["train"], int(cfg["calibration_rows"])), context
    )
    hessians = calibration_hessians(model, calibration)
    heldout = calibration_hessians(model, id_batches(tokenizer, rows, context))
    probe = id_batches(tokenizer, rows[:8], context)[0]
    results: dict[str, dict[str, Any]] = {}
    stored: dict[str, QuantizedModel] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in track(cfg["schemes"], desc="schemes"):
            qm = quantize_model(model, name, hessians)
            path = save_quantized(qm, Path(tmp) / f"{name}.glft")
            back = load_quantized(path).to_model()
            dense = qm.to_model()
            results[name] = {
                "file_bytes": path.stat().st_size,
                "weight_bytes": qm.nbytes,
                "file_round_trip_exact": bool(
                    np.array_equal(FastMiniGPT(back)(probe), FastMiniGPT(dense)(probe))
                ),
                "correction": correction_accuracy(dense, tokenizer, rows),
                "perplexity": answer_perplexity(FastMiniGPT(dense), tokenizer, rows)["perplexity"],
                "heldout_layer_loss": layer_loss(qm, model, heldout)
                if qm.scheme.quantises
                else 0.0,
            }
            stored[name] = qm
    return results, {"rows": len(rows), "calibration_rows": int(cfg["calibration_rows"])}, stored


def _time_decode(
    stored: Mapping[str, QuantizedModel],
    model: MiniGPT,
    prompt: Sequence[int],
    steps: int,
    rounds: int,
) -> dict[str, list[float]]:
    runners: dict[str, Any] = {}
    for name, qm in stored.items():
        runners[name] = FastMiniGPT(model) if name == "fp32" else quantized_runner(qm)
    if "int8-channel" in stored:
        runners[W8A8] = quantized_runner(stored["int8-channel"], int8=True)
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    with threadpool_limits(limits=1, user_api="blas"):
        for runner in runners.values():  # warm-up
            decode_seconds(runner, prompt, 2)
        for _ in track(range(rounds), desc="decode rounds"):
            for name, runner in runners.items():
                seconds[name].append(decode_seconds(runner, prompt, steps))
    return seconds


def _frontier(points: Mapping[str, tuple[float, float]]) -> list[str]:
    """Schemes no other scheme beats on both bytes and perplexity (the lower-left envelope)."""
    return [
        a
        for a, (xa, ya) in points.items()
        if not any(
            (xb <= xa and yb <= ya) and (xb < xa or yb < ya)
            for b, (xb, yb) in points.items()
            if b != a
        )
    ]


def _table(results: Mapping[str, Mapping[str, Any]], fp32: Mapping[str, Any]) -> list[str]:
    lines = [
        "| scheme | file bytes | × FP32 | answer ppl | correction accuracy [95 % Wilson] | Δ pp | decode tok/s | × FP32 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        c = r.get("correction")
        acc = (
            "—"
            if c is None
            else f"{100 * c['accuracy']:.2f} % [{100 * c['wilson_lo']:.1f}, {100 * c['wilson_hi']:.1f}]"
        )
        delta = (
            "—" if c is None else f"{100 * (c['accuracy'] - fp32['correction']['accuracy']):+.2f}"
        )
        size = "—" if "file_bytes" not in r else f"{r['file_bytes']:,}"
        ratio = "—" if "file_bytes" not in r else f"{r['file_bytes'] / fp32['file_bytes']:.3f}"
        ppl = "—" if "perplexity" not in r else f"{r['perplexity']:.5f}"
        lines.append(
            f"| {name} | {size} | {ratio} | {ppl} | {acc} | {delta} | {r['tokens_per_s']:.0f} | "
            f"{r['speed_vs_fp32']:.2f} |"
        )
    return lines


def _plots(
    ctx: LabContext, results: Mapping[str, Mapping[str, Any]], frontier: Sequence[str]
) -> None:
    fig, (left, right) = figure(1, 2, width=11, height=4.5)
    for name, r in results.items():
        if "file_bytes" not in r:
            continue
        x = r["file_bytes"] / MIB
        left.scatter(x, r["perplexity"], color="C1" if name in frontier else "C0")
        left.annotate(name, (x, r["perplexity"]), fontsize=7)
        c = r["correction"]
        err = [[100 * (c["accuracy"] - c["wilson_lo"])], [100 * (c["wilson_hi"] - c["accuracy"])]]
        right.errorbar(x, 100 * c["accuracy"], yerr=err, fmt="o", capsize=2)
        right.annotate(name, (x, 100 * c["accuracy"]), fontsize=7)
    left.set(xscale="log", xlabel="GGUF-lite file (MiB)", ylabel="answer perplexity")
    right.set(xscale="log", xlabel="GGUF-lite file (MiB)", ylabel="correction accuracy (%)")
    save_png(
        fig,
        ctx.path("pareto.png"),
        title="Bytes against perplexity and accuracy (orange: Pareto frontier)",
    )


def _roofline(
    ctx: LabContext, cfg: Mapping[str, Any], points: Mapping[str, tuple[float, float]]
) -> dict[str, Any]:
    ceilings = measure_ceilings(ctx.rng, int(cfg["gemm_n"]), int(cfg["stream_mib"]) * MIB, 0.02, 3)
    pi = ceilings["fp32_gflops"]
    beta = max(ceilings["copy_gb_per_s"], ceilings["read_gb_per_s"])
    fig, ax = figure(width=8, height=5)
    xs = np.logspace(-1, 3, 200)
    ax.loglog(
        xs, [attainable_gflops(x, pi, beta) for x in xs], "k-", lw=1, label="roof min(π, I·β)"
    )
    for name, (intensity, gflops) in points.items():
        ax.scatter(intensity, gflops, label=f"{name}: I={intensity:.2f}")
    ax.set(xlabel="arithmetic intensity (FLOP / weight byte)", ylabel="GFLOP/s (decode, batch 1)")
    ax.legend(fontsize=7)
    save_png(
        fig,
        ctx.path("roofline.png"),
        title="Decode on the roofline: fewer bytes per FLOP move right",
    )
    return {"peak_gflops": pi, "bandwidth_gb_s": beta, "ridge": ridge_point(pi, beta)}


@lab(
    "26-pareto",
    title="Quantisation Pareto: bytes vs perplexity vs correction accuracy, decode speed",
)
def pareto(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, _SETTINGS)
    model = load_shipped_model(CHECKPOINT).model
    tokenizer = load_tokenizer()
    split = load_tutor_split(data_dir() / "tutor", "frames")
    results, sizes, stored = _measure_schemes(ctx, cfg, model, tokenizer, split)
    prompt = prompt_ids(tokenizer, str(split["test"][0]["text"]))
    seconds = _time_decode(stored, model, prompt, int(cfg["decode_steps"]), int(cfg["rounds"]))
    for name, times in seconds.items():
        entry = results.setdefault(name, {})
        entry["tokens_per_s"] = 1.0 / float(np.median(times))
        entry["speed_vs_fp32"] = paired_median_ratio(seconds["fp32"], times)
    fp32 = results["fp32"]
    frontier = _frontier(
        {n: (r["file_bytes"], r["perplexity"]) for n, r in results.items() if "file_bytes" in r}
    )
    points = {}
    for name in ("fp32", "int8-channel", "int4-g32", "gptq-int4-g32", W8A8):
        source = "int8-channel" if name == W8A8 else name
        if name in results and source in stored:
            flops, nbytes = _decode_flops_and_bytes(stored[source])
            points[name] = (flops / nbytes, flops * results[name]["tokens_per_s"] / 1e9)
    roof = _roofline(ctx, cfg, points)
    _plots(ctx, results, frontier)
    table = _table(results, fp32)
    write_text_atomic(ctx.path("pareto.md"), "\n".join(table) + "\n")
    goals = _goals(results)
    return {
        **sizes,
        "schemes": results,
        "frontier": frontier,
        "table": table,
        "roofline": {
            **roof,
            "points": {k: {"intensity": i, "gflops": g} for k, (i, g) in points.items()},
        },
        "goals": goals,
    }


def _goals(results: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The phase's targets, each as a measured number and a verdict."""
    acc = {n: r["correction"]["accuracy"] for n, r in results.items() if "correction" in r}
    out: dict[str, Any] = {}
    if "int8-channel" in acc:
        gap = acc["fp32"] - acc["int8-channel"]
        out["int8_channel_gap_pp"] = 100 * gap
        out["int8_channel_within_0_5pp"] = gap <= 0.005
    for g in (32, 64, 128):
        gptq, rtn = f"gptq-int4-g{g}", f"int4-g{g}"
        if gptq in results and rtn in results:
            fp = results["fp32"]["perplexity"]
            excess = {k: results[k]["perplexity"] - fp for k in (gptq, rtn)}
            out[f"g{g}"] = {
                "gptq_vs_rtn_heldout_layer_loss": results[gptq]["heldout_layer_loss"]
                / results[rtn]["heldout_layer_loss"],
                "gptq_vs_rtn_excess_perplexity": excess[gptq] / excess[rtn]
                if excess[rtn] > 0
                else math.nan,
                "gptq_minus_rtn_accuracy_pp": 100 * (acc[gptq] - acc[rtn]),
                "gptq_gap_to_fp32_pp": 100 * (acc["fp32"] - acc[gptq]),
                "gptq_within_3pp": acc["fp32"] - acc[gptq] <= 0.03,
            }
    return out


__all__ = ["ALL_SCHEMES", "id_batches", "layer_loss", "pareto"]
