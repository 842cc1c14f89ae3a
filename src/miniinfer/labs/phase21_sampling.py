"""Phase 21 lab `21-sampling-strategies`: what each strategy does to one fixed logit vector, no model needed.

Three fixed vectors stand in for a model's last-position logits: the ten continuations of "She has wri___"
(the phase's worked example), the 8-logit ladder of the temperature sweep, and a peaked and a flat 5-logit pair
for top-k against top-p. The lab draws the distributions each strategy samples from, the entropy of
softmax(z / tau) as tau sweeps (non-decreasing, from 0 towards ln V), how many tokens top-p keeps as p grows,
and how many distinct tokens a fixed number of draws produces per tau — diversity bought with temperature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from miniinfer.sampling import Temperature, TopK, TopP, entropy, tempered_softmax

WRI_TOKENS = ("tten", "tes", "ting", "te", "t", "tt", "s", "nt", "den", "er")
WRI_LOGITS = np.array([4.20, 1.80, 1.50, 0.60, 0.30, -0.50, -1.20, -2.10, -3.40, -4.00])
LADDER = np.array([3.0, 2.0, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0])
PEAKED = np.array([5.0, 4.0, 0.0, 0.0, 0.0])
FLAT = np.array([2.0, 1.9, 1.8, 1.7, 0.0])


def _support(probs: np.ndarray) -> int:
    return int(np.count_nonzero(probs))


def _plot_distributions(ctx: LabContext) -> None:
    strategies: dict[str, Temperature | TopK | TopP] = {
        "Temperature(0.5)": Temperature(0.5),
        "Temperature(1.0)": Temperature(1.0),
        "Temperature(2.0)": Temperature(2.0),
        "TopK(3)": TopK(3),
        "TopP(0.95)": TopP(0.95),
    }
    fig, ax = figure(width=9.0, height=4.5)
    x = np.arange(len(WRI_TOKENS))
    width = 0.8 / len(strategies)
    for i, (name, strategy) in enumerate(strategies.items()):
        ax.bar(x + (i - 2) * width, strategy.probabilities(WRI_LOGITS), width=width, label=name)
    ax.set_xticks(x, [f"wri{t}" for t in WRI_TOKENS], rotation=30)
    ax.set(ylabel="probability of being sampled", yscale="log", ylim=(1e-5, 1.2))
    ax.legend(ncols=2)
    save_png(
        fig, ctx.path("distributions.png"), title='What each strategy samples after "She has wri"'
    )


def _entropy_curve(ctx: LabContext, taus: np.ndarray) -> list[float]:
    h = [entropy(tempered_softmax(LADDER, float(t))) for t in taus]
    fig, ax = figure()
    ax.plot(taus, h, marker="o", label="H(softmax(z / tau))")
    ax.axhline(
        np.log(LADDER.size),
        ls="--",
        color="grey",
        label=f"ln V = {np.log(LADDER.size):.3f} (uniform)",
    )
    ax.set(xscale="log", xlabel="temperature tau (log scale)", ylabel="entropy (nats)")
    ax.legend()
    save_png(fig, ctx.path("entropy_vs_tau.png"), title="Entropy grows with temperature")
    return h


def _top_p_sizes(ctx: LabContext, ps: np.ndarray) -> dict[str, list[int]]:
    sizes = {
        f"tau={tau}": [_support(TopP(float(p), tau=tau).probabilities(WRI_LOGITS)) for p in ps]
        for tau in (0.7, 1.0, 1.5)
    }
    fig, ax = figure()
    for name, ys in sizes.items():
        ax.step(ps, ys, where="post", label=name)
    ax.set(
        xlabel="top-p threshold p",
        ylabel="tokens kept (nucleus size)",
        ylim=(0, len(WRI_TOKENS) + 0.5),
    )
    ax.legend(title='"She has wri___"')
    save_png(fig, ctx.path("top_p_support.png"), title="Top-p keeps more tokens as p and tau grow")
    return sizes


def _diversity(ctx: LabContext, taus: np.ndarray, draws: int) -> list[int]:
    seeds = ctx.rng.integers(0, 2**31, size=taus.size)
    unique = []
    for tau, seed in zip(taus, seeds, strict=True):
        rng = np.random.default_rng(int(seed))
        strategy = Temperature(float(tau))
        unique.append(len({strategy(WRI_LOGITS, rng) for _ in range(draws)}))
    fig, ax = figure()
    ax.plot(taus, unique, marker="s", color="tab:orange")
    ax.set(
        xscale="log",
        xlabel="temperature tau (log scale)",
        ylabel=f"distinct tokens in {draws} draws",
    )
    save_png(fig, ctx.path("diversity_vs_tau.png"), title="Diversity bought with temperature")
    return unique


@lab(
    "21-sampling-strategies", title="Sampling strategies on fixed logits: temperature, top-k, top-p"
)
def sampling_strategies(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"draws": 100, "n_taus": 6},
            "default": {"draws": 200, "n_taus": 12},
            "full": {"draws": 1000, "n_taus": 24},
        },
    )
    taus = np.geomspace(0.05, 10.0, int(cfg["n_taus"]))
    ps = np.linspace(0.5, 1.0, 101)
    _plot_distributions(ctx)
    h = _entropy_curve(ctx, taus)
    sizes = _top_p_sizes(ctx, ps)
    unique = _diversity(ctx, taus, int(cfg["draws"]))
    probs = tempered_softmax(WRI_LOGITS)
    return {
        "worked_example": {
            "probs": probs.round(4).tolist(),
            "cumulative": np.cumsum(probs).round(4).tolist(),
            "top_p_support": {
                str(p): _support(TopP(p).probabilities(WRI_LOGITS)) for p in (0.5, 0.9, 0.95, 1.0)
            },
        },
        "taus": taus.tolist(),
        "entropy": h,
        "entropy_non_decreasing": bool(np.all(np.diff(h) >= -1e-9)),
        "ln_v": float(np.log(LADDER.size)),
        "top_p_sizes": sizes,
        "unique_tokens": unique,
        "peaked_vs_flat": {
            name: {
                "top_k2": _support(TopK(2).probabilities(z)),
                "top_p0.9": _support(TopP(0.9).probabilities(z)),
            }
            for name, z in (("peaked", PEAKED), ("flat", FLAT))
        },
    }
