"""Phase 05 lab: an overconfident toy tense classifier, its reliability diagram before and after temperature
scaling; break 05 (cross-entropy computed as log(softmax)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import BreakOutcome, LabContext, breaks, lab
from minigrad.numerics import softmax
from minigrad.probability import (
    ReliabilityBins,
    cross_entropy_from_logits,
    cross_entropy_via_softmax,
    fit_temperature,
    reliability_bins,
)

N_CLASSES = 5  # infinitive, present, past, past participle, future
N_FEATURES = 8


def tense_data(
    rng: np.random.Generator, n: int, means: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """n points from 5 class-conditional unit Gaussians in 8 dimensions; labels uniform over tenses."""
    y = rng.integers(0, N_CLASSES, size=n)  # (n,)
    x = means[y] + rng.standard_normal((n, N_FEATURES))  # (n, 8)
    return x, y


def quadratic_features(x: np.ndarray) -> np.ndarray:
    """[x, all x_i x_j (i <= j), 1]: 8 + 36 + 1 = 45 columns, enough capacity to overfit 500 points."""
    iu, ju = np.triu_indices(x.shape[1])
    pairs = (x[:, :, None] * x[:, None, :])[:, iu, ju]  # (n, 36)
    return np.hstack([x, pairs, np.ones((x.shape[0], 1))])  # (n, 45)


def train_softmax_regression(
    feats: np.ndarray, labels: np.ndarray, *, epochs: int, lr: float
) -> np.ndarray:
    """Full-batch gradient descent on mean cross-entropy; the gradient is Xᵀ(softmax(XW) − onehot(y))/n."""
    w = np.zeros((feats.shape[1], N_CLASSES))  # (F, 5)
    rows = np.arange(feats.shape[0])
    for _ in range(epochs):
        grad_logits = softmax(feats @ w)  # (n, 5)
        grad_logits[rows, labels] -= 1.0
        w -= lr * feats.T @ grad_logits / feats.shape[0]
    return w


def _reliability(ax: Any, bins: ReliabilityBins, title: str) -> None:
    mids = (bins.edges[:-1] + bins.edges[1:]) / 2
    width = bins.edges[1] - bins.edges[0]
    filled = bins.counts > 0
    ax.bar(
        mids[filled],
        bins.accuracy[filled],
        width=width * 0.9,
        color="C0",
        alpha=0.8,
        label="accuracy in bin",
    )
    ax.vlines(
        mids[filled], bins.accuracy[filled], bins.confidence[filled], color="C3", linewidth=1.5
    )
    ax.plot(mids[filled], bins.confidence[filled], "o", color="C3", label="mean confidence in bin")
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (max softmax probability)")
    ax.set_ylabel("accuracy in bin")
    ax.set_title(f"{title}: ECE = {bins.ece:.3f}")
    ax.legend(fontsize=8, loc="upper left")


@lab("05-calibration", title="Calibration of a toy tense classifier: ECE and temperature scaling")
def calibration(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {
                "n_train": 500,
                "n_val": 500,
                "n_test": 500,
                "epochs": 300,
                "separation": 1.3,
            },
            "default": {
                "n_train": 500,
                "n_val": 1000,
                "n_test": 1000,
                "epochs": 1000,
                "separation": 1.3,
            },
            "full": {
                "n_train": 500,
                "n_val": 2000,
                "n_test": 5000,
                "epochs": 3000,
                "separation": 1.3,
            },
        },
    )
    ctx.config.update({"lr": 0.5, "n_bins": 10, "features": "8 raw + 36 pairwise products + bias"})
    rng = ctx.rng
    means = rng.normal(0.0, cfg["separation"], size=(N_CLASSES, N_FEATURES))  # (5, 8)
    splits = {name: tense_data(rng, cfg[f"n_{name}"], means) for name in ("train", "val", "test")}
    feats = {name: quadratic_features(x) for name, (x, _) in splits.items()}
    mu, sd = feats["train"].mean(axis=0), feats["train"].std(axis=0)
    mu[-1], sd[-1] = 0.0, 1.0  # leave the bias column alone
    feats = {
        name: (f - mu) / (sd + 1e-12) for name, f in feats.items()
    }  # standardised with train stats only
    w = train_softmax_regression(feats["train"], splits["train"][1], epochs=cfg["epochs"], lr=0.5)
    logits = {name: f @ w for name, f in feats.items()}  # (n, 5) each
    temperature = fit_temperature(
        logits["val"], splits["val"][1]
    )  # fitted on validation, never on test
    y_test = splits["test"][1]
    before = reliability_bins(softmax(logits["test"]), y_test, n_bins=10)
    after = reliability_bins(softmax(logits["test"] / temperature), y_test, n_bins=10)
    fig, axes = figure(1, 2, width=11.0, height=4.8)
    _reliability(axes[0], before, "Before (T = 1)")
    _reliability(axes[1], after, f"After temperature scaling (T = {temperature:.2f})")
    save_png(fig, ctx.path("reliability.png"))
    acc = {name: float(np.mean(logits[name].argmax(axis=1) == splits[name][1])) for name in splits}
    return {
        "accuracy": acc,
        "train_nll": cross_entropy_from_logits(logits["train"], splits["train"][1]),
        "test_nll_before": cross_entropy_from_logits(logits["test"], y_test),
        "test_nll_after": cross_entropy_from_logits(logits["test"] / temperature, y_test),
        "temperature": temperature,
        "ece_before": before.ece,
        "ece_after": after.ece,
        "mean_confidence_before": float(softmax(logits["test"]).max(axis=1).mean()),
        "mean_confidence_after": float(softmax(logits["test"] / temperature).max(axis=1).mean()),
        "overconfident": temperature > 1.0,
        "bins_before": {
            "counts": before.counts.tolist(),
            "accuracy": before.accuracy.tolist(),
            "confidence": before.confidence.tolist(),
        },
    }


# --- break 05 --------------------------------------------------------------------------------------------

BREAK05_CASES = {
    "small": ([1.2, 4.7, 3.1, 0.5, 2.9], 2),
    "huge": ([10.0, 92.0, 30.0, -50.0, 40.0], 3),
}


@breaks(
    5,
    title="cross-entropy as log(softmax)",
    change="-log(softmax(z)[y]) instead of -log_softmax(z)[y]",
)
def ce_break(ctx: LabContext) -> BreakOutcome:
    ctx.config.update(
        {
            "dtype": "float32",
            "cases": {k: {"logits": v[0], "target": v[1]} for k, v in BREAK05_CASES.items()},
        }
    )
    healthy, broken = {}, {}
    for name, (logits, target) in BREAK05_CASES.items():
        z = np.asarray(logits, dtype=np.float32)
        healthy[name] = float(cross_entropy_from_logits(z, target))
        broken[name] = cross_entropy_via_softmax(z, target)
    p_target = float(softmax(np.asarray(BREAK05_CASES["huge"][0], dtype=np.float32))[3])
    healthy["p_target_huge"] = broken["p_target_huge"] = p_target
    detected = (
        abs(healthy["small"] - broken["small"]) < 1e-5
        and abs(healthy["huge"] - 142.0) < 1e-3
        and broken["huge"] == float("inf")
    )
    symptom = (
        "both agree on small logits, but on the huge case softmax rounds p_target = exp(-142) to exactly 0 "
        "in float32 and -log(0) = inf: the loss (and every gradient after it) is poisoned, while the "
        "log-softmax path returns the exact 142.0"
        if detected
        else "no divergence between log(softmax) and log_softmax was observed"
    )
    return BreakOutcome(healthy=healthy, broken=broken, symptom=symptom, detected=detected)
