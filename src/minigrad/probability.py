"""Entropy, cross-entropy, KL divergence and calibration, all in nats.

The identity that ties phase 05 together is H(p, q) = H(p) + KL(p || q): minimising cross-entropy against
fixed data is minimising KL, because H(p) does not depend on the model. Conventions: 0 * log 0 = 0, and
KL(p || q) = +inf when q gives zero probability to something p allows (returned, not raised, because it
is a correct answer). Calibration is measured with the expected calibration error over equal-width
confidence bins and repaired with a single temperature fitted on held-out data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad.numerics import log_softmax, softmax

FloatArray = NDArray[np.float64]


def _distribution(p: ArrayLike, name: str, atol: float = 1e-6) -> FloatArray:
    """`p` as float64 after checking it is a probability vector.

    The sum tolerance widens with the input's precision: a float32 softmax over 600 forms is a valid
    distribution even though its entries only sum to 1 within ~600 float32 roundings.
    """
    raw = np.asarray(p)
    if raw.dtype.kind == "f" and raw.dtype != np.float64:
        atol = max(atol, raw.size * float(np.finfo(raw.dtype).eps))
    arr = raw.astype(np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D probability vector, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains inf or NaN")
    if np.any(arr < 0):
        raise ValueError(
            f"{name} has a negative entry ({float(arr.min())}); probabilities are >= 0"
        )
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} sums to {total!r}, not 1 (tolerance {atol})")
    return arr


def _pair(p: ArrayLike, q: ArrayLike) -> tuple[FloatArray, FloatArray]:
    pp, qq = _distribution(p, "p"), _distribution(q, "q")
    if pp.shape != qq.shape:
        raise ValueError(f"p and q must have the same length, got {pp.size} and {qq.size}")
    return pp, qq


def entropy(p: ArrayLike) -> float:
    """H(p) = -sum p_i log p_i: 0 for a point mass, log V for the uniform distribution over V outcomes."""
    pp = _distribution(p, "p")
    nz = pp > 0
    return float(-np.sum(pp[nz] * np.log(pp[nz])))


def cross_entropy(p: ArrayLike, q: ArrayLike) -> float:
    """H(p, q) = -sum p_i log q_i: the average surprise of outcomes drawn from p under the model q."""
    pp, qq = _pair(p, q)
    nz = pp > 0
    if np.any(qq[nz] == 0):
        return math.inf
    return float(-np.sum(pp[nz] * np.log(qq[nz])))


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """KL(p || q) = sum p_i log(p_i / q_i) >= 0, +inf if p has support where q has none. Not symmetric."""
    pp, qq = _pair(p, q)
    nz = pp > 0
    if np.any(qq[nz] == 0):
        return math.inf
    return float(np.sum(pp[nz] * (np.log(pp[nz]) - np.log(qq[nz]))))


def cross_entropy_from_logits(
    logits: ArrayLike, targets: ArrayLike, *, reduction: str = "mean"
) -> float | NDArray[np.floating]:
    """-log softmax(z)[y] from raw logits via log-softmax, never via log(softmax(z)).

    `logits` is (K,) with an int target, or (B, K) with (B,) targets. `reduction` is 'mean', 'sum' or
    'none' (per-example losses). Matches PyTorch's `F.cross_entropy` for these shapes.
    """
    z = np.asarray(logits)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)  # floats keep their precision: float32 logits give a float32 loss
    y = np.asarray(targets)
    if z.ndim == 1:
        z, y = z[None, :], y.reshape(1)  # (1, K), (1,)
    if z.ndim != 2:
        raise ValueError(f"logits must be (K,) or (B, K), got shape {z.shape}")
    if y.ndim != 1 or y.shape[0] != z.shape[0]:
        raise ValueError(
            f"targets must be ({z.shape[0]},) to match logits {z.shape}, got {y.shape}"
        )
    if y.dtype.kind not in "iu":
        raise TypeError(f"targets must be integer class indices, got dtype {y.dtype}")
    k = z.shape[1]
    if np.any((y < 0) | (y >= k)):
        raise ValueError(f"targets must be class indices in 0..{k - 1}, got {y.min()}..{y.max()}")
    losses = -log_softmax(z, axis=-1)[np.arange(z.shape[0]), y]  # (B,)
    if reduction == "none":
        per_example: NDArray[np.floating] = losses
        return per_example
    if reduction == "sum":
        return float(losses.sum())
    if reduction == "mean":
        return float(losses.mean())
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy_via_softmax(logits: ArrayLike, target: int) -> float:
    """-log(softmax(z)[y]): algebraically the same loss, numerically unsafe (kept for the break)."""
    probs = softmax(np.asarray(logits))
    with np.errstate(divide="ignore"):
        return float(-np.log(probs[target]))


def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood per token): the effective number of equally likely choices."""
    return math.exp(mean_nll)


# --- calibration -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityBins:
    """Per-bin statistics of a reliability diagram (equal-width confidence bins on [0, 1])."""

    edges: FloatArray  # (M + 1,)
    counts: NDArray[np.int64]  # (M,)
    accuracy: FloatArray  # (M,), NaN for empty bins
    confidence: FloatArray  # (M,), NaN for empty bins
    ece: float


def _confidences(probs: ArrayLike, labels: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
    pr = np.asarray(probs, dtype=np.float64)
    lab = np.asarray(labels)
    if pr.ndim != 2:
        raise ValueError(f"probs must be (N, K), got shape {pr.shape}")
    if lab.shape != (pr.shape[0],):
        raise ValueError(
            f"labels must be ({pr.shape[0]},) to match probs {pr.shape}, got {lab.shape}"
        )
    if lab.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {lab.dtype}")
    if pr.shape[0] == 0:
        raise ValueError("calibration needs at least one example")
    conf = pr.max(axis=1)  # (N,)
    correct = pr.argmax(axis=1) == lab  # (N,)
    return conf, correct


def reliability_bins(probs: ArrayLike, labels: ArrayLike, n_bins: int = 10) -> ReliabilityBins:
    """Group predictions by confidence into `n_bins` equal-width bins; ECE = sum_m |B_m|/N |acc - conf|.

    Bins are right-closed, (lo, hi], with the first also taking confidence 0. Empty bins contribute 0.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    conf, correct = _confidences(probs, labels)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)  # (N,)
    counts = np.bincount(idx, minlength=n_bins).astype(np.int64)
    acc_sum = np.bincount(idx, weights=correct.astype(np.float64), minlength=n_bins)
    conf_sum = np.bincount(idx, weights=conf, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(counts > 0, acc_sum / counts, np.nan)
        mean_conf = np.where(counts > 0, conf_sum / counts, np.nan)
    gaps = np.where(counts > 0, np.abs(acc - mean_conf), 0.0)
    ece = float(np.sum(counts / conf.size * gaps))
    return ReliabilityBins(edges, counts, acc, mean_conf, ece)


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, n_bins: int = 10) -> float:
    """ECE with equal-width bins: 0 for a perfectly calibrated model, up to 1 for a maximally wrong one."""
    return reliability_bins(probs, labels, n_bins).ece


def _nll_at(z: FloatArray, y: NDArray[np.integer], log_t: float) -> tuple[float, float, float]:
    """NLL(T) and its first two derivatives with respect to u = log T, for a Newton step."""
    t = math.exp(log_t)
    logp = log_softmax(z / t, axis=-1)  # (N, K)
    p = np.exp(logp)
    rows = np.arange(z.shape[0])
    # d/du of z/T is -z/T; NLL = -mean(s_y - lse(s)), with s = z/T.
    s = z / t
    mean_s = np.sum(p * s, axis=1)  # E_p[s]  (N,)
    var_s = np.sum(p * s * s, axis=1) - mean_s**2  # Var_p[s]  (N,)
    nll = float(-np.mean(logp[rows, y]))
    grad = float(np.mean(s[rows, y] - mean_s))  # dNLL/du
    hess = float(np.mean(-(s[rows, y] - mean_s) + var_s))  # d2NLL/du2
    return nll, grad, hess


def fit_temperature(
    logits: ArrayLike,
    labels: ArrayLike,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    bounds: tuple[float, float] = (1e-2, 1e2),
) -> float:
    """The single T > 0 minimising the mean NLL of softmax(logits / T) on held-out data.

    Optimises u = log T (so T stays positive) with safeguarded Newton steps; the NLL is smooth in u and the
    minimiser is unique for non-degenerate logits. Fit on a validation split, never on the test split.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels)
    if z.ndim != 2 or y.shape != (z.shape[0],):
        raise ValueError(f"need logits (N, K) and labels (N,), got {z.shape} and {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {y.dtype}")
    lo, hi = math.log(bounds[0]), math.log(bounds[1])
    u = 0.0
    nll, grad, hess = _nll_at(z, y, u)
    for _ in range(max_iter):
        step = -grad / hess if hess > 1e-12 else -math.copysign(0.5, grad)
        step = max(-1.0, min(1.0, step))  # trust region in log-space: at most a factor e per step
        new_u = min(hi, max(lo, u + step))
        new = _nll_at(z, y, new_u)
        while new[0] > nll and abs(new_u - u) > 1e-12:  # backtrack until the loss does not increase
            new_u = u + (new_u - u) / 2
            new = _nll_at(z, y, new_u)
        converged = abs(new_u - u) < tol
        u, (nll, grad, hess) = new_u, new
        if converged or abs(grad) < tol:
            break
    return math.exp(u)


#: The seed's short name for the same function.
kl = kl_divergence


__all__ = [
    "ReliabilityBins",
    "cross_entropy",
    "cross_entropy_from_logits",
    "cross_entropy_via_softmax",
    "entropy",
    "expected_calibration_error",
    "fit_temperature",
    "kl",
    "kl_divergence",
    "perplexity",
    "reliability_bins",
]
