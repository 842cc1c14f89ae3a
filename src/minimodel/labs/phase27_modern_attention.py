"""Phase 27 labs and break: FlashAttention's memory, grouped-query attention's bytes, the paged KV cache.

- `27-flash-reference`: the tiled forward and the recompute backward against naive attention at growing T —
  the largest difference (float64) and the *measured* peak memory of each forward (tracemalloc), whose
  log-log slopes show O(T²) against O(T). Time is reported as a ratio to naive in the same run.
- `27-gqa-kv-bytes`: MHA, GQA-2 and MQA versions of the tiny MiniGPT at the seed's 64 positions: parameters,
  the KV-cache bytes the cache really holds against 2·L·H_kv·Dh·bytes per token, and the same closed form for
  published shapes (LLaMA-2-70B's GQA-8).
- `27-paged-kv`: a batch of requests of random lengths in a contiguous cache (context_len reserved each) and
  in the paged pool at several block sizes; fragmentation, how many such requests a fixed budget holds, what
  a forked prompt shares, and paged decoding checked against the contiguous cache.
- Break 27: the online softmax without its rescale factor α. Exact while one key tile holds every score, the
  error appears with the second tile and grows with T as new maxima keep arriving.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minimodel.flash import (
    AttentionOutput,
    flash_attention,
    flash_attention_backward,
    naive_attention,
    naive_attention_backward,
    peak_bytes,
)
from minimodel.kv_cache import kv_cache_bytes
from minimodel.mini_gpt import MiniGPT, closed_form_param_count, named_config
from minimodel.online_softmax import OnlineState
from minimodel.paged_kv import PagedDecoder, PagedKVCache

VOCAB = 512  # the shipped tokenizer's size; these labs need no trained weights


def _qkv(rng: np.random.Generator, length: int, d: int, heads: int = 1) -> tuple[np.ndarray, ...]:
    # scores of spread ~1.5: large enough that the running max really moves from tile to tile
    q = rng.normal(size=(1, heads, length, d)) * 1.5 / d**0.25
    k = rng.normal(size=(1, heads, length, d)) * 1.5 / d**0.25
    v = rng.normal(size=(1, heads, length, d))
    return q, k, v


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The exponent p of y ∝ x^p, by least squares in log-log."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def _seconds(fn: Any, args: tuple[Any, ...], reps: int) -> float:
    """Median wall time of `fn(*args)` over `reps` calls."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# ----------------------------------------------------------------------------- 27-flash-reference


@lab("27-flash-reference", title="FlashAttention in NumPy: equal to naive, O(T) memory measured")
def flash_reference(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"lengths": [64, 128, 256], "d": 16, "block": 32, "reps": 1},
            "default": {"lengths": [128, 256, 512, 1024, 2048], "d": 32, "block": 64, "reps": 3},
        },
    )
    lengths, d, block = list(cfg["lengths"]), int(cfg["d"]), int(cfg["block"])
    rows: dict[str, list[float]] = {
        key: []
        for key in (
            "max_abs_out",
            "max_abs_grad",
            "naive_peak",
            "flash_peak",
            "naive_s",
            "flash_s",
        )
    }

    def tiled(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> AttentionOutput:
        return flash_attention(q, k, v, causal=True, block_q=block, block_k=block)

    def naive(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> AttentionOutput:
        return naive_attention(q, k, v, causal=True)

    with threadpool_limits(limits=1, user_api="blas"):
        for length in track(lengths, desc="sequence lengths"):
            q, k, v = _qkv(ctx.rng, length, d)
            ref, fwd = naive(q, k, v), tiled(q, k, v)
            d_out = ctx.rng.normal(size=ref.out.shape)
            grads = flash_attention_backward(
                q, k, v, fwd, d_out, causal=True, block_q=block, block_k=block
            )
            naive_grads = naive_attention_backward(q, k, v, d_out, causal=True)
            rows["max_abs_out"].append(float(np.abs(fwd.out - ref.out).max()))
            rows["max_abs_grad"].append(
                max(
                    float(np.abs(getattr(grads, n) - getattr(naive_grads, n)).max())
                    for n in ("dq", "dk", "dv")
                )
            )
            rows["naive_peak"].append(peak_bytes(naive, q, k, v))
            rows["flash_peak"].append(peak_bytes(tiled, q, k, v))
            rows["naive_s"].append(_seconds(naive, (q, k, v), int(cfg["reps"])))
            rows["flash_s"].append(_seconds(tiled, (q, k, v), int(cfg["reps"])))
    fig, ax = figure()
    ax.plot(lengths, np.array(rows["naive_peak"]) / 2**20, marker="o", label="naive: S and P (T×T)")
    ax.plot(
        lengths,
        np.array(rows["flash_peak"]) / 2**20,
        marker="s",
        label=f"tiled, {block}×{block} tiles",
    )
    ax.set(
        xlabel="sequence length T",
        ylabel="peak memory of the forward (MiB, tracemalloc)",
        xscale="log",
        yscale="log",
    )
    ax.legend(fontsize=8)
    save_png(fig, ctx.path("flash_peak_memory.png"), title="Peak memory: O(T²) naive vs O(T) tiled")
    return {
        "lengths": lengths,
        "d_head": d,
        "block": block,
        "dtype": "float64",
        **rows,
        "max_abs_out_overall": max(rows["max_abs_out"]),
        "max_abs_grad_overall": max(rows["max_abs_grad"]),
        "equal_to_1e-6": max(rows["max_abs_out"] + rows["max_abs_grad"]) < 1e-6,
        "naive_peak_slope": _slope(lengths, rows["naive_peak"]),
        "flash_peak_slope": _slope(lengths, rows["flash_peak"]),
        "peak_ratio_at_longest": rows["naive_peak"][-1] / rows["flash_peak"][-1],
        "flash_time_over_naive": [
            f / n for f, n in zip(rows["flash_s"], rows["naive_s"], strict=True)
        ],
        "blas_threads": 1,
    }


# ----------------------------------------------------------------------------- 27-gqa-kv-bytes

#: (n_layers, n_heads, kv_heads, d_head) of published models, for the closed form in fp16
PUBLISHED = {
    "LLaMA-7B (MHA)": (32, 32, 32, 128),
    "Mistral-7B (GQA, 8 KV heads)": (32, 32, 8, 128),
    "LLaMA-2-70B (GQA-8)": (80, 64, 8, 128),
}


@lab("27-gqa-kv-bytes", title="MHA, GQA and MQA: parameters and KV-cache bytes, measured")
def gqa_kv_bytes(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"smoke": {"length": 64}, "default": {"length": 64}})
    length = int(cfg["length"])
    base = replace(
        named_config("tiny", VOCAB), context_len=length
    )  # L=2, H=4, Dh=16: the seed's table
    variants: dict[str, Any] = {}
    ids = ctx.rng.integers(0, VOCAB, size=(1, length))
    for name, kv_heads in (("mha", 4), ("gqa-2", 2), ("mqa-kv1", 1)):
        mc = replace(base, n_kv_heads=kv_heads)
        model = MiniGPT(mc, rng=np.random.default_rng(ctx.seed))
        model.prefill(ids)
        formula = kv_cache_bytes(
            n_layers=mc.n_layers, batch=1, n_heads=kv_heads, length=length, d_head=mc.d_head
        )
        variants[name] = {
            "kv_heads": kv_heads,
            "params": closed_form_param_count(mc),
            "measured_kv_bytes": model.kv_cache.nbytes,
            "formula_kv_bytes": formula,
            "bytes_per_token": model.kv_cache.nbytes // length,
        }
    mha = variants["mha"]
    for row in variants.values():
        row["kv_ratio_vs_mha"] = row["measured_kv_bytes"] / mha["measured_kv_bytes"]
        row["params_saved_vs_mha"] = mha["params"] - row["params"]
    published = {
        name: {
            "kib_per_token_fp16": kv_cache_bytes(
                n_layers=layers, batch=1, n_heads=kv, length=1, d_head=dh, itemsize=2
            )
            / 1024,
            "gib_at_4096_fp16": kv_cache_bytes(
                n_layers=layers, batch=1, n_heads=kv, length=4096, d_head=dh, itemsize=2
            )
            / 2**30,
            "ratio_vs_mha": kv / heads,
        }
        for name, (layers, heads, kv, dh) in PUBLISHED.items()
    }
    fig, ax = figure()
    names = list(variants)
    ax.bar(names, [variants[n]["measured_kv_bytes"] / 1024 for n in names], color="#4c72b0")
    ax.set(ylabel=f"KV cache at T={length} (KiB, float32)")
    save_png(
        fig, ctx.path("gqa_kv_bytes.png"), title="KV cache: MHA vs GQA-2 vs MQA (tiny MiniGPT)"
    )
    return {
        "length": length,
        "variants": variants,
        "matches_formula": all(
            r["measured_kv_bytes"] == r["formula_kv_bytes"] for r in variants.values()
        ),
        "published": published,
    }


# ----------------------------------------------------------------------------- 27-paged-kv


def _fill(pool: PagedKVCache, seq: Hashable, length: int) -> None:
    """Write `length` positions of zeros into every layer of `seq` (the bookkeeping is what is measured)."""
    shape = (pool.keys.shape[2], length, pool.keys.shape[4])
    zeros = np.zeros(shape, dtype=pool.keys.dtype)
    for layer in range(pool.n_layers):
        pool.append(seq, layer, zeros, zeros)


@lab("27-paged-kv", title="Paged KV cache: block tables, fragmentation, sharing, exact decoding")
def paged_kv(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"requests": 16, "block_sizes": [1, 4, 16, 64], "decode_steps": 6},
            "default": {
                "requests": 64,
                "block_sizes": [1, 2, 4, 8, 16, 32, 64],
                "decode_steps": 24,
            },
        },
    )
    mc = replace(named_config("tiny", VOCAB), context_len=256)
    n_requests = int(cfg["requests"])
    lengths = ctx.rng.integers(
        8, mc.context_len + 1, size=n_requests
    )  # actual lengths, unknown up front
    per_position = 2 * mc.n_layers * mc.kv_heads * mc.d_head * 4
    contiguous = n_requests * mc.context_len * per_position  # a context_len reservation per request
    needed = int(lengths.sum()) * per_position
    sweep: dict[str, dict[str, float]] = {}
    for block_size in cfg["block_sizes"]:
        pool = PagedKVCache.for_model(
            mc,
            n_blocks=n_requests * math.ceil(mc.context_len / block_size),
            block_size=block_size,
            dtype=np.float32,
        )
        for seq, length in enumerate(lengths):
            pool.add(seq)
            _fill(pool, seq, int(length))
        stats = pool.stats()
        allocated = stats.blocks_used * block_size * per_position
        sweep[str(block_size)] = {
            "blocks_used": stats.blocks_used,
            "allocated_bytes": allocated,
            "internal_waste_slots": stats.internal_waste,
            "fragmentation": stats.fragmentation,
            "requests_in_contiguous_budget": int(contiguous / (allocated / n_requests)),
        }
    # a prompt forked into several samples: the shared blocks are stored once
    share_pool = PagedKVCache.for_model(mc, n_blocks=64, block_size=16, dtype=np.float32)
    share_pool.add("prompt")
    _fill(share_pool, "prompt", 100)
    for child in range(4):
        share_pool.fork("prompt", child)
        _fill(
            share_pool, child, 20
        )  # each sample writes its own 20 positions (copy-on-write first)
    shared = share_pool.stats()
    # paged decoding must be invisible: the same logits as the contiguous cache
    small = replace(mc, context_len=32, n_kv_heads=2)
    model = MiniGPT(small, rng=np.random.default_rng(ctx.seed), dtype=np.float64)
    tokens = ctx.rng.integers(0, VOCAB, size=(2, 4 + int(cfg["decode_steps"])))
    paged = PagedDecoder(model, block_size=4)
    prompt = tokens[:, :4]
    gaps = [float(np.abs(paged.prefill(prompt).data - model.prefill(prompt).data).max())]
    for t in range(4, tokens.shape[1]):
        step = tokens[:, t : t + 1]
        gaps.append(float(np.abs(paged.decode(step).data - model.decode(step).data).max()))
    fig, ax = figure()
    sizes = [int(b) for b in sweep]
    ax.plot(sizes, [sweep[str(b)]["fragmentation"] for b in sizes], marker="o")
    ax.set(
        xlabel="block size (positions)",
        ylabel="internal fragmentation (wasted / allocated)",
        xscale="log",
    )
    save_png(
        fig, ctx.path("paged_fragmentation.png"), title="Paged KV: waste grows with the block size"
    )
    return {
        "requests": n_requests,
        "context_len": mc.context_len,
        "contiguous_reserved_bytes": contiguous,
        "needed_bytes": needed,
        "contiguous_waste": 1 - needed / contiguous,
        "block_sizes": sweep,
        "fork": {
            "prompt_positions": 100,
            "samples": 4,
            "positions_per_sample": 20,
            "logical_tokens": shared.logical_tokens,
            "filled_slots": shared.filled_slots,
            "blocks_used": shared.blocks_used,
            "blocks_shared": shared.blocks_shared,
            "blocks_without_sharing": math.ceil(100 / 16) + 4 * math.ceil(120 / 16),
        },
        "paged_vs_contiguous_max_logit_gap": max(gaps),
        "paged_equals_contiguous": max(gaps) < 1e-9,
    }


# ----------------------------------------------------------------------------- break 27


class NoRescale(OnlineState):
    """Break 27: α is taken as 1 — the sums kept under an old maximum are never scaled down."""

    def rescale_factor(self, m_new: np.ndarray) -> np.ndarray:
        return np.ones_like(m_new)


def _drift(
    ctx: LabContext, lengths: Sequence[int], block: int, *, state: type[OnlineState]
) -> dict[str, list[float]]:
    """Mean |O − O_naive| and the mean log-normaliser drift L − L_naive at each length.

    Without α, terms summed under an old max are never scaled down when the max rises, so ℓ only overcounts:
    the drift of L = m + log ℓ is ≥ 0, and it accumulates with every tile that brings a new max.
    """
    out_error, lse_drift = [], []
    for length in lengths:
        q = (
            ctx.rng.normal(size=(1, 4, length, 16)) * 1.5
        )  # scores of spread ~1.5, as trained heads have
        k, v = ctx.rng.normal(size=(2, 1, 4, length, 16))
        ref = naive_attention(q, k, v, causal=True)
        got = flash_attention(q, k, v, causal=True, block_q=block, block_k=block, state=state)
        out_error.append(float(np.abs(got.out - ref.out).mean()))
        lse_drift.append(float((got.lse - ref.lse).mean()))
    return {"lengths": list(lengths), "mean_abs_error": out_error, "lse_drift": lse_drift}


@breaks(
    27,
    title="Online softmax without the rescale factor",
    change="FlashAttention's running sums are not multiplied by α = exp(m_old − m_new) when the max moves",
)
def break_rescale(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"lengths": [16, 32, 64, 128], "block": 16},
            "default": {"lengths": [16, 32, 64, 128, 256, 512], "block": 16},
        },
    )
    lengths, block = list(cfg["lengths"]), int(cfg["block"])
    healthy = _drift(ctx, lengths, block, state=OnlineState)
    broken = _drift(ctx, lengths, block, state=NoRescale)
    drift = broken["lse_drift"]
    # one tile (T = block) never rescales, so the bug is invisible there; every extra tile adds drift
    detected = (
        max(healthy["mean_abs_error"]) < 1e-9
        and abs(drift[0]) < 1e-9
        and all(b > a for a, b in zip(drift, drift[1:], strict=False))
        and min(broken["mean_abs_error"][1:]) > 1e-3
    )
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=(
            "exact while one tile holds every key; then the log-normaliser drifts up with T "
            f"({drift[1]:.3g} at T={lengths[1]} → {drift[-1]:.3g} at T={lengths[-1]}) and outputs "
            f"are off by {broken['mean_abs_error'][-1]:.3g} on average"
        ),
        detected=detected,
    )
