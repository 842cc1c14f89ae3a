"""Phase 15 labs and break: attention worked by hand, where its time goes, and the missing √d_k.

- `15-attention-by-hand`: the two-token toy, the length-4 causal example ("I will work .", W_Q = W_K = 0.5·I,
  W_V = I) with the values the code computes (the seed's printed products contain slips), the saturation of
  unscaled scores at d_k = 64, one head of `MultiHeadAttention` against the plain function, and the causal mask
  checked by perturbing the last token — with the post-softmax "mask" that leaks as the counter-example.
- `15-attention-profile`: time of each stage and the memory of the (H, T, T) scores as T grows.
- Break 15: scores not divided by √d_k — the softmax saturates (entropy collapses).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.functional import softmax
from minigrad.tensor import Tensor
from minimodel.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention

#: The phase's length-4 example: one 4-d vector per token of "I will work .".
LENGTH4_TOKENS = ("I", "will", "work", ".")
LENGTH4_X = np.array(
    [
        [0.50, 0.30, -0.20, 0.10],
        [-0.10, 0.40, 0.20, -0.30],
        [0.20, -0.10, 0.50, 0.10],
        [0.00, 0.00, 0.00, 0.20],
    ]
)


def post_softmax_masked(mha: MultiHeadAttention, x: Tensor) -> Tensor:
    """The classic wrong causal mask: softmax over *all* keys, then zero the future weights.

    The future still sits in every row's normaliser, so earlier outputs change when a later token does.
    """
    batch, length, d_model = x.shape

    def heads(w: Tensor) -> Tensor:
        return (
            (x @ w).reshape(batch, length, mha.n_heads, mha.d_head).transpose(0, 2, 1, 3)
        )  # (B, H, T, Dh)

    q, k, v = heads(mha.w_q), heads(mha.w_k), heads(mha.w_v)  # (B, H, T, Dh) each
    weights = softmax(
        q @ k.swapaxes(-1, -2) * (1.0 / math.sqrt(mha.d_head)), axis=-1
    )  # (B, H, T, T)
    weights = weights * Tensor(
        causal_mask(length).astype(np.float64)
    )  # (B, H, T, T), rows no longer sum to 1
    out = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, length, d_model)  # (B, T, D)
    return out @ mha.w_o  # (B, T, D)


def perturbation_gap(
    forward: Callable[[Tensor], Tensor], x: np.ndarray, rng: np.random.Generator
) -> dict[str, float]:
    """Replace the last token; how much do earlier positions and the last one move?"""
    x2 = x.copy()
    x2[:, -1] = rng.standard_normal(x.shape[-1])
    y, y2 = forward(Tensor(x)).data, forward(Tensor(x2)).data  # (B, T, D) each
    return {
        "earlier_max_diff": float(np.max(np.abs(y[:, :-1] - y2[:, :-1]))),
        "last_max_diff": float(np.max(np.abs(y[:, -1] - y2[:, -1]))),
    }


def _toy_two_tokens() -> dict[str, Any]:
    x = np.eye(2)
    w_q, w_k, w_v = np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0]]), np.diag([2.0, 3.0])
    q, k, v = x @ w_q, x @ w_k, x @ w_v  # (2, 2) each
    scores = q @ k.T  # (2, 2)
    unscaled = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)  # (2, 2)
    out, weights = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v))  # (2, 2) each
    by_hand = np.exp(scores / math.sqrt(2)) / np.exp(scores / math.sqrt(2)).sum(-1, keepdims=True)
    return {
        "unscaled_row0": unscaled[0].tolist(),
        "unscaled_output_row0": (unscaled @ v)[0].tolist(),
        "scaled_weights": weights.data.tolist(),
        "scaled_output": out.data.tolist(),
        "max_abs_diff_hand_vs_code": float(
            max(np.abs(weights.data - by_hand).max(), np.abs(out.data - by_hand @ v).max())
        ),
    }


def saturation(
    d_k: int, length: int, rng: np.random.Generator, *, scaled: bool
) -> dict[str, float]:
    """Mean over rows of the largest attention weight and of the row entropy, for N(0, 1) queries and keys."""
    q = rng.standard_normal((length, d_k))  # (T, d_k)
    k = rng.standard_normal((length, d_k))  # (T, d_k)
    scores = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)  # (T, T)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)  # (T, T)
    entropy = -(weights * np.log(np.maximum(weights, 1e-300))).sum(-1)  # (T,)
    return {"mean_max_weight": float(weights.max(-1).mean()), "mean_entropy": float(entropy.mean())}


@lab(
    "15-attention-by-hand",
    title="Attention by hand: toy, length-4 example, saturation, heads, causal mask",
)
def attention_by_hand_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"d_model": 16, "n_heads": 2, "length": 8},
            "default": {"d_model": 16, "n_heads": 2, "length": 8},
            "full": {"d_model": 16, "n_heads": 2, "length": 8},
        },
    )
    x4 = Tensor(LENGTH4_X)  # (4, 4)
    out4, weights4 = scaled_dot_product_attention(
        x4 * 0.5, x4 * 0.5, x4, causal_mask(4)
    )  # (4, 4) each

    mha1 = MultiHeadAttention(4, 1, rng=ctx.rng)
    xs = Tensor(ctx.rng.standard_normal((1, 6, 4)))  # (1, T, 4)
    plain, _ = scaled_dot_product_attention(
        xs @ mha1.w_q, xs @ mha1.w_k, xs @ mha1.w_v
    )  # (1, T, 4)
    single_head_diff = float(np.max(np.abs(mha1(xs).data - (plain @ mha1.w_o).data)))

    mha = MultiHeadAttention(cfg["d_model"], cfg["n_heads"], rng=ctx.rng)
    x = ctx.rng.standard_normal((1, cfg["length"], cfg["d_model"]))  # (1, T, D)
    correct = perturbation_gap(
        lambda t: mha(t, causal=True), x, np.random.default_rng(ctx.seed + 1)
    )
    broken = perturbation_gap(
        lambda t: post_softmax_masked(mha, t), x, np.random.default_rng(ctx.seed + 1)
    )
    mha(Tensor(x), causal=True)
    head_weights = (
        mha.last_weights if mha.last_weights is not None else np.zeros((1, cfg["n_heads"], 1, 1))
    )

    fig, axes = figure(1, 1 + cfg["n_heads"], width=4 * (1 + cfg["n_heads"]), height=4)
    image = axes[0].imshow(weights4.data, cmap="viridis", vmin=0, vmax=1)
    axes[0].grid(False)
    axes[0].set_xticks(range(4), LENGTH4_TOKENS)
    axes[0].set_yticks(range(4), LENGTH4_TOKENS)
    axes[0].set(xlabel="key", ylabel="query", title="length-4 example (causal)")
    for r, c in np.ndindex(4, 4):
        if c <= r:
            axes[0].text(
                c, r, f"{weights4.data[r, c]:.3f}", ha="center", va="center", color="w", fontsize=8
            )
    for h in range(cfg["n_heads"]):
        axes[h + 1].imshow(head_weights[0, h], cmap="viridis", vmin=0, vmax=1)
        axes[h + 1].grid(False)
        axes[h + 1].set(
            xlabel="key position", ylabel="query position", title=f"random head {h} (causal)"
        )
    fig.colorbar(image, ax=axes[-1], label="attention weight")
    save_png(fig, ctx.path("attention_heatmaps.png"), title="Attention weights")
    return {
        "toy_two_tokens": _toy_two_tokens(),
        "length4": {"weights": weights4.data.tolist(), "output": out4.data.tolist()},
        "saturation_d_k_64": {
            "scaled": saturation(64, 16, np.random.default_rng(ctx.seed), scaled=True),
            "unscaled": saturation(64, 16, np.random.default_rng(ctx.seed), scaled=False),
        },
        "single_head_equivalence_max_diff": single_head_diff,
        "causal_perturbation": correct,
        "post_softmax_mask_perturbation": broken,
    }


def _time(func: Callable[[], Any], min_seconds: float) -> float:
    """Fastest of enough repeats to fill `min_seconds` (after a warm-up call).

    The minimum, not the median: on a shared machine other processes only ever add time, so the fastest run is
    the best estimate of what the stage itself costs.
    """
    func()
    samples: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds or len(samples) < 3:
        t0 = time.perf_counter()
        func()
        samples.append(time.perf_counter() - t0)
    return float(np.min(samples))


def stage_times(
    length: int, d_model: int, n_heads: int, rng: np.random.Generator, min_seconds: float
) -> dict[str, float]:
    """Seconds per stage of one forward pass (float32 NumPy, batch 1): where attention spends its time."""
    d_head = d_model // n_heads
    x = rng.standard_normal((length, d_model)).astype(np.float32)  # (T, D)
    w = rng.standard_normal((4, d_model, d_model)).astype(np.float32) / math.sqrt(
        d_model
    )  # (4, D, D)
    q = (x @ w[0]).reshape(length, n_heads, d_head).transpose(1, 0, 2)  # (H, T, Dh)
    k = (x @ w[1]).reshape(length, n_heads, d_head).transpose(1, 0, 2)  # (H, T, Dh)
    v = (x @ w[2]).reshape(length, n_heads, d_head).transpose(1, 0, 2)  # (H, T, Dh)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(d_head)  # (H, T, T)

    def soft() -> np.ndarray:
        e = np.exp(scores - scores.max(-1, keepdims=True))  # (H, T, T)
        normalised: np.ndarray = e / e.sum(-1, keepdims=True)  # (H, T, T)
        return normalised

    weights = soft()  # (H, T, T)
    merged = (weights @ v).transpose(1, 0, 2).reshape(length, d_model)  # (T, D)
    return {
        "qkv_proj": _time(lambda: (x @ w[0], x @ w[1], x @ w[2]), min_seconds),
        "scores": _time(lambda: q @ k.transpose(0, 2, 1), min_seconds),
        "softmax": _time(soft, min_seconds),
        "av": _time(lambda: weights @ v, min_seconds),
        "out_proj": _time(lambda: merged @ w[3], min_seconds),
    }


@lab(
    "15-attention-profile",
    title="Attention cost vs sequence length: time per stage and score memory",
)
def attention_profile_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"lengths": [16, 32], "d_model": 64, "n_heads": 4, "min_seconds": 0.005},
            "default": {
                "lengths": [64, 128, 256, 512],
                "d_model": 64,
                "n_heads": 4,
                "min_seconds": 0.05,
            },
            "full": {
                "lengths": [64, 128, 256, 512, 1024],
                "d_model": 64,
                "n_heads": 4,
                "min_seconds": 0.2,
            },
        },
    )
    times = {
        str(t): stage_times(t, cfg["d_model"], cfg["n_heads"], ctx.rng, cfg["min_seconds"])
        for t in cfg["lengths"]
    }
    memory = {str(t): cfg["n_heads"] * t * t * 4 for t in cfg["lengths"]}  # float32 scores, bytes
    stages = list(next(iter(times.values())))
    fig, (left, right) = figure(1, 2, width=12, height=4.5)
    bottom = np.zeros(len(times))
    labels = list(times)
    for stage in stages:
        values = np.array([times[t][stage] * 1e3 for t in labels])
        left.bar(labels, values, bottom=bottom, label=stage)
        bottom += values
    left.set(xlabel="sequence length T", ylabel="time per forward (ms)", yscale="linear")
    left.legend()
    right.loglog(
        [int(t) for t in labels],
        [memory[t] / 2**20 for t in labels],
        marker="o",
        label="scores (H·T² float32)",
    )
    right.set(xlabel="sequence length T", ylabel="memory (MiB, log)")
    right.legend()
    save_png(
        fig,
        ctx.path("profile.png"),
        title=f"Attention forward, d_model={cfg['d_model']}, {cfg['n_heads']} heads",
    )
    first, last = labels[0], labels[-1]
    growth = int(last) / int(first)
    t2_share = {
        t: (times[t]["scores"] + times[t]["softmax"] + times[t]["av"]) / sum(times[t].values())
        for t in labels
    }
    return {
        "seconds": times,
        "score_bytes": memory,
        "length_growth": growth,
        "scores_time_growth": times[last]["scores"] / times[first]["scores"],
        "projection_time_growth": times[last]["qkv_proj"] / times[first]["qkv_proj"],
        "quadratic_share": t2_share,
    }


@breaks(
    15, title="Attention without the √d_k scaling", change="scores = Q Kᵀ instead of Q Kᵀ / √d_k"
)
def no_scaling_break(ctx: LabContext) -> BreakOutcome:
    healthy = saturation(64, 16, np.random.default_rng(ctx.seed), scaled=True)
    broken = saturation(64, 16, np.random.default_rng(ctx.seed), scaled=False)
    uniform = math.log(16)
    detected = (
        broken["mean_max_weight"] > 3 * healthy["mean_max_weight"]
        and broken["mean_entropy"] < 0.25 * healthy["mean_entropy"]
    )
    return BreakOutcome(
        healthy={**healthy, "uniform_entropy": uniform},
        broken={**broken, "uniform_entropy": uniform},
        symptom=(
            f"at d_k = 64 the softmax saturates: mean largest weight {broken['mean_max_weight']:.3f} "
            f"(healthy {healthy['mean_max_weight']:.3f}), row entropy {broken['mean_entropy']:.3f} nats "
            f"(healthy {healthy['mean_entropy']:.3f}, uniform {uniform:.3f})"
        ),
        detected=bool(detected),
    )
