"""Phase 16 labs and break: why attention needs positions, RoPE's relative identity, and extrapolation.

- `16-permutation-equivariance`: without positions, permuting the tokens permutes the outputs (to rounding);
  sinusoidal or rotary positions break that symmetry.
- `16-rope-relative`: ⟨R_m q, R_n k⟩ = ⟨q, R_{n−m} k⟩, rotations keep norms, and the sinusoidal table's
  one-step shift is one fixed rotation per frequency pair.
- `16-extrapolation`: an untrained attention layer with sinusoidal, learned (T_max rows) and rotary positions,
  run past the learned table's length; mean row entropy and head-0 patterns per length.
- Break 16: the sinusoidal rows shuffled across positions — neighbouring positions stop looking alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.tensor import Tensor, no_grad
from minimodel.attention import MultiHeadAttention
from minimodel.data import load_tokenizer
from minimodel.embedding import cosine_matrix, make_embedding
from minimodel.positional import (
    LearnedPositional,
    apply_rope,
    precompute_rope,
    rotate_at,
    sinusoidal,
)

RELATIVE_PAIRS = ((0, 1), (3, 7), (5, 5), (10, 12), (20, 8))


@lab("16-permutation-equivariance", title="Attention without positions is permutation-equivariant")
def permutation_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {"default": {"d_model": 8, "n_heads": 1, "words": ["he", "work", "I"], "perm": [2, 0, 1]}},
    )
    tokenizer = load_tokenizer()
    ids = [tokenizer.encode(" " + w)[0] for w in cfg["words"]]
    emb = make_embedding(tokenizer.vocab_size, cfg["d_model"], rng=ctx.rng, init_scale=1.0)
    mha = MultiHeadAttention(cfg["d_model"], cfg["n_heads"], rng=ctx.rng)
    x = emb(np.asarray([ids])).data  # (1, 3, D)
    perm = cfg["perm"]
    length = len(ids)
    pe = sinusoidal(length, cfg["d_model"], dtype=np.float64)  # (T, D)
    rope = precompute_rope(length, cfg["d_model"] // cfg["n_heads"], dtype=np.float64)

    def gap(with_pe: bool, with_rope: bool) -> float:
        add = pe if with_pe else 0.0
        tables = rope if with_rope else None
        y = mha(Tensor(x + add), rope=tables).data  # (1, T, D)
        y_perm = mha(Tensor(x[:, perm] + add), rope=tables).data  # (1, T, D)
        return float(np.max(np.abs(y_perm - y[:, perm])))

    gaps = {
        "no_positions": gap(False, False),
        "sinusoidal": gap(True, False),
        "rope": gap(False, True),
    }
    fig, ax = figure()
    ax.bar(
        list(gaps),
        [max(v, 1e-18) for v in gaps.values()],
        color=["tab:grey", "tab:blue", "tab:green"],
    )
    ax.set(yscale="log", ylabel="max |f(Px) − P f(x)| (log scale)", xlabel="positional information")
    ax.axhline(1e-6, color="tab:red", linestyle="--", label="1e-6 (equivariant to rounding)")
    ax.legend()
    save_png(
        fig, ctx.path("equivariance.png"), title=f"Permuting {' '.join(cfg['words'])} → outputs"
    )
    return {"tokens": cfg["words"], "permutation": perm, "max_diff": gaps}


def sinusoidal_shift_error(length: int, d_model: int) -> float:
    """Max error of PE(p+1) = R_k PE(p) per (sin, cos) pair k, with R_k the rotation by ω_k."""
    pe = sinusoidal(length, d_model, dtype=np.float64)  # (T, D)
    omega = 10_000.0 ** (-np.arange(0, d_model, 2) / d_model)  # (D/2,)
    s, c = pe[:-1, 0::2], pe[:-1, 1::2]  # (T-1, D/2) each
    next_s = s * np.cos(omega) + c * np.sin(omega)  # sin(a + ω)
    next_c = c * np.cos(omega) - s * np.sin(omega)  # cos(a + ω)
    return float(max(np.abs(next_s - pe[1:, 0::2]).max(), np.abs(next_c - pe[1:, 1::2]).max()))


@lab("16-rope-relative", title="RoPE: scores depend only on the offset; rotations keep norms")
def rope_relative_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(ctx, {"default": {"d_head": 16, "length": 32, "norm_positions": [0, 1, 5, 100]}})
    d, length = cfg["d_head"], cfg["length"]
    q = ctx.rng.standard_normal(d)  # (Dh,)
    k = ctx.rng.standard_normal(d)  # (Dh,)
    cos, sin = precompute_rope(length, d, dtype=np.float64)  # (T, Dh/2) each
    rq = apply_rope(Tensor(np.tile(q, (length, 1))), cos, sin).data  # (T, Dh): q at every position
    rk = apply_rope(Tensor(np.tile(k, (length, 1))), cos, sin).data  # (T, Dh)
    pair_diffs = {
        f"{m},{n}": float(abs(rq[m] @ rk[n] - q @ rotate_at(k, n - m))) for m, n in RELATIVE_PAIRS
    }
    scores_rotated = rq[0] @ rk.T  # (T,)
    scores_relative = np.array([q @ rotate_at(k, n) for n in range(length)])  # (T,)
    shifted = rq[3] @ rk[3:].T  # (T-3,) the same offsets seen from position 3
    top = max(cfg["norm_positions"]) + 1
    cos_big, sin_big = precompute_rope(top, d, dtype=np.float64)
    norm_diffs = {
        str(p): float(
            abs(
                np.linalg.norm(apply_rope(Tensor(q[None]), cos_big, sin_big, start=p).data)
                - np.linalg.norm(q)
            )
        )
        for p in cfg["norm_positions"]
    }
    fig, ax = figure()
    ax.plot(range(length), scores_rotated, "o-", label="⟨R₀q, Rₙk⟩")
    ax.plot(range(length), scores_relative, "x--", label="⟨q, Rₙk⟩")
    ax.plot(range(length - 3), shifted, ".:", label="⟨R₃q, R₃₊ₙk⟩")
    ax.set(xlabel="offset n (key position − query position)", ylabel="attention score q·k")
    ax.legend()
    save_png(fig, ctx.path("relative_position.png"), title="RoPE scores depend only on the offset")
    return {
        "relative_pairs_abs_diff": pair_diffs,
        "relative_position_max_diff": max(
            max(pair_diffs.values()),
            float(np.max(np.abs(scores_rotated - scores_relative))),
            float(np.max(np.abs(shifted - scores_rotated[: length - 3]))),
        ),
        "norm_preservation_abs_diff": norm_diffs,
        "sinusoidal_shift_max_diff": sinusoidal_shift_error(10, 8),
    }


def row_entropy(weights: np.ndarray) -> float:
    """Mean over heads and query rows of −Σ_j A_ij log A_ij (nats)."""
    return float(-(weights * np.log(np.maximum(weights, 1e-300))).sum(-1).mean())


@lab(
    "16-extrapolation",
    title="Sinusoidal vs learned vs RoPE beyond the training length (untrained layer)",
)
def extrapolation_lab(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"d_model": 32, "n_heads": 2, "lengths": [8, 16, 32], "learned_max_len": 16},
            "default": {
                "d_model": 32,
                "n_heads": 2,
                "lengths": [64, 96, 128, 192, 256],
                "learned_max_len": 64,
            },
            "full": {
                "d_model": 32,
                "n_heads": 2,
                "lengths": [64, 96, 128, 192, 256, 512],
                "learned_max_len": 64,
            },
        },
    )
    d, lengths = cfg["d_model"], cfg["lengths"]
    mha = MultiHeadAttention(d, cfg["n_heads"], rng=ctx.rng)
    # same RMS as a sin/cos table (1/√2), so the three schemes add comparable signals
    learned = LearnedPositional(cfg["learned_max_len"], d, rng=ctx.rng, init_scale=1 / math.sqrt(2))
    tokens = ctx.rng.standard_normal(
        (1, max(lengths), d)
    )  # (1, Tmax, D) one random vector per token
    entropy: dict[str, dict[str, float]] = {"sinusoidal": {}, "learned": {}, "rope": {}}
    patterns: dict[tuple[str, int], np.ndarray] = {}
    with no_grad():
        for t in lengths:
            x = tokens[:, :t]  # (1, T, D)
            tables = precompute_rope(t, d // cfg["n_heads"], dtype=np.float64)
            runs = {
                "sinusoidal": (x + sinusoidal(t, d, dtype=np.float64), None),
                "learned": (x + learned(t, clamp=True).data, None),
                "rope": (x, tables),
            }
            for name, (inputs, rope) in runs.items():
                mha(Tensor(inputs), causal=True, rope=rope)
                weights = (
                    mha.last_weights if mha.last_weights is not None else np.ones((1, 1, t, t)) / t
                )
                entropy[name][str(t)] = row_entropy(weights)
                patterns[(name, t)] = weights[0, 0]
    fig, axes = figure(3, len(lengths), width=3 * len(lengths), height=9)
    for r, name in enumerate(entropy):
        for c, t in enumerate(lengths):
            ax = axes[r, c]
            ax.imshow(patterns[(name, t)] ** 0.5, cmap="viridis")
            ax.grid(False)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"T = {t}")
            if c == 0:
                ax.set_ylabel(name)
    save_png(
        fig,
        ctx.path("attention_patterns.png"),
        title="Head-0 causal attention (√weight), untrained layer",
    )
    fig, ax = figure()
    for name, values in entropy.items():
        ax.plot(lengths, list(values.values()), marker="o", label=name)
    ax.plot(
        lengths,
        [np.mean(np.log(np.arange(1, t + 1))) for t in lengths],
        "k:",
        label="uniform causal",
    )
    ax.axvline(cfg["learned_max_len"], color="grey", linestyle="--", label="learned table ends")
    ax.set(xlabel="sequence length T", ylabel="mean row entropy (nats)")
    ax.legend()
    save_png(fig, ctx.path("extrapolation_entropy.png"), title="Attention entropy vs length")
    tail = cfg["learned_max_len"]
    repeated = learned(max(lengths), clamp=True).data[tail - 1 :]  # rows from T_max-1 on
    return {
        "mean_row_entropy": entropy,
        "learned_rows_past_table_identical": bool(np.all(repeated == repeated[0])),
        "trained": False,
    }


def position_geometry(table: np.ndarray) -> dict[str, float]:
    """Mean cosine of neighbouring rows, and the correlation of similarity with distance over all pairs."""
    sims = cosine_matrix(table)  # (T, T)
    i, j = np.triu_indices(len(table), 1)
    return {
        "adjacent_cosine": float(np.mean(np.diag(sims, 1))),
        "similarity_distance_correlation": float(np.corrcoef(np.abs(i - j), sims[i, j])[0, 1]),
    }


@breaks(
    16, title="Sinusoidal positions shuffled across positions", change="pe = pe[rng.permutation(T)]"
)
def shuffled_pe_break(ctx: LabContext) -> BreakOutcome:
    table = sinusoidal(64, 32, dtype=np.float64)  # (T, D)
    shuffled = table[ctx.rng.permutation(len(table))]  # (T, D)
    healthy, broken = position_geometry(table), position_geometry(shuffled)
    detected = (
        healthy["adjacent_cosine"] > 0.9
        and broken["adjacent_cosine"] < healthy["adjacent_cosine"] - 0.2
        and healthy["similarity_distance_correlation"] < -0.5
        and abs(broken["similarity_distance_correlation"]) < 0.3
    )
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=(
            f"neighbouring positions no longer look alike: cos(PE[t], PE[t+1]) {broken['adjacent_cosine']:.2f} "
            f"(healthy {healthy['adjacent_cosine']:.2f}); similarity no longer falls with distance "
            f"(corr {broken['similarity_distance_correlation']:+.2f}, healthy {healthy['similarity_distance_correlation']:+.2f})"
        ),
        detected=bool(detected),
    )
