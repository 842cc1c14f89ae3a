"""Phase 21: decoding strategies, each a callable `(logits (V,), rng) -> token id`.

A strategy turns the model's last-position logits into one token. Every strategy here is split in two steps:
`probabilities(logits)` builds the distribution it samples from (a full-vocabulary vector in token-id order,
zero outside the kept support), and `__call__` draws one id from it by inverse CDF with exactly one
`rng.random()` call. Drawing in id order (not in sorted order) is what makes `TopP(1.0)` and `TopK(V)` pick
*the same token* as `Temperature` for the same generator state — the truncation is the only difference.

Numerics: logits are shifted by their maximum before scaling (`(z - max) / tau`), so the largest scaled logit is
0 and nothing overflows however small `tau` gets; everything is float64 (tail probabilities of 1e-5 are at the
edge of float16, and top-p sums them). Entries equal to `-inf` are allowed (a logit mask writes them) and get
probability 0; NaN or `+inf` logits are an error, as is a vector with no finite entry.

Documented choices: `tau` must be > 0 (use `Greedy` for tau = 0; tiny tau converges to it); ties at the top-k
boundary are broken towards the lower token id, so exactly k ids are kept and `TopK(1)` is `Greedy`; top-p keeps
the smallest probability-sorted prefix whose mass reaches `p` (with a 1e-12 tolerance so that `p` equal to a
partial sum keeps that prefix and not one more token).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatVector = NDArray[np.float64]
Strategy = Callable[[np.ndarray, np.random.Generator], int]
"""Anything with the strategy call signature (e.g. a lambda in a test)."""

_TOP_P_TOLERANCE = 1e-12


def validate_logits(logits: ArrayLike) -> FloatVector:
    """The logits as a float64 vector, or a ValueError saying what is wrong with them."""
    arr = np.asarray(logits, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D vector (V,), got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"logits contain NaN at ids {np.flatnonzero(np.isnan(arr))[:5].tolist()}")
    if np.isposinf(arr).any():
        raise ValueError(
            f"logits contain +inf at ids {np.flatnonzero(np.isposinf(arr))[:5].tolist()}"
        )
    if not np.isfinite(arr).any():
        raise ValueError("every logit is -inf: the mask left no token to sample")
    return arr


def _check_tau(tau: float, owner: str) -> None:
    if (
        isinstance(tau, bool)
        or not isinstance(tau, int | float)
        or not np.isfinite(tau)
        or tau <= 0
    ):
        raise ValueError(
            f"{owner}: tau must be a finite number > 0, got {tau!r} (use Greedy() for tau = 0)"
        )


def tempered_softmax(logits: ArrayLike, tau: float = 1.0) -> FloatVector:
    """softmax(z / tau), computed as softmax((z - max z) / tau) so no exponent is positive."""
    _check_tau(tau, "tempered_softmax")
    z = validate_logits(logits)
    with np.errstate(over="ignore", under="ignore"):
        scaled = (z - z.max()) / tau  # (V,), max entry exactly 0
        weights = np.exp(scaled)  # (V,), in [0, 1], at least one 1
    probs: FloatVector = weights / weights.sum()
    return probs


def entropy(probs: ArrayLike) -> float:
    """Shannon entropy in nats, with 0 log 0 = 0."""
    p = np.asarray(probs, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def draw(probs: ArrayLike, rng: np.random.Generator) -> int:
    """One id from `probs` by inverse CDF in id order, consuming exactly one `rng.random()`.

    Zero-probability ids can never be drawn: the search looks for the first cumulative sum strictly above u.
    """
    p = np.asarray(probs, dtype=np.float64)
    cdf = np.cumsum(p)  # (V,)
    u = rng.random() * cdf[-1]
    idx = int(np.searchsorted(cdf, u, side="right"))
    if idx >= p.size or p[idx] == 0.0:  # u landed on the very top: take the last kept id
        idx = int(np.flatnonzero(p)[-1])
    return idx


def nucleus_size(sorted_probs: ArrayLike, p: float) -> int:
    """How many of the probability-sorted ids top-p keeps: the smallest n with sum(top n) >= p."""
    cdf = np.cumsum(np.asarray(sorted_probs, dtype=np.float64))
    n = int(np.searchsorted(cdf, p - _TOP_P_TOLERANCE, side="left")) + 1
    return min(n, cdf.size)


@dataclass(frozen=True)
class Greedy:
    """The argmax (the lowest id on ties); ignores and does not consume the generator."""

    def probabilities(self, logits: ArrayLike) -> FloatVector:
        z = validate_logits(logits)
        one_hot = np.zeros_like(z)
        one_hot[int(np.argmax(z))] = 1.0
        return one_hot

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        return int(np.argmax(validate_logits(logits)))


@dataclass(frozen=True)
class Temperature:
    """Sample from softmax(z / tau): tau < 1 sharpens, tau > 1 flattens, the support never shrinks."""

    tau: float = 1.0

    def __post_init__(self) -> None:
        _check_tau(self.tau, "Temperature")

    def probabilities(self, logits: ArrayLike) -> FloatVector:
        return tempered_softmax(logits, self.tau)

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        return draw(self.probabilities(logits), rng)


@dataclass(frozen=True)
class TopK:
    """Keep the k largest logits (ties towards the lower id), renormalise softmax(z / tau) over them."""

    k: int
    tau: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int | np.integer) or self.k < 1:
            raise ValueError(f"TopK: k must be an integer >= 1, got {self.k!r}")
        _check_tau(self.tau, "TopK")

    def probabilities(self, logits: ArrayLike) -> FloatVector:
        probs = tempered_softmax(logits, self.tau)
        if self.k >= probs.size:
            return probs
        order = np.argsort(-validate_logits(logits), kind="stable")  # (V,), ties keep id order
        kept = np.zeros(probs.size, dtype=bool)
        kept[order[: self.k]] = True
        truncated = np.where(kept, probs, 0.0)
        out: FloatVector = truncated / truncated.sum()
        return out

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        return draw(self.probabilities(logits), rng)


@dataclass(frozen=True)
class TopP:
    """Nucleus sampling: keep the smallest most-probable set whose mass reaches p, renormalise, sample."""

    p: float
    tau: float = 1.0

    def __post_init__(self) -> None:
        if (
            isinstance(self.p, bool)
            or not isinstance(self.p, int | float)
            or not np.isfinite(self.p)
            or not 0.0 < self.p <= 1.0
        ):
            raise ValueError(f"TopP: p must be a number in (0, 1], got {self.p!r}")
        _check_tau(self.tau, "TopP")

    def probabilities(self, logits: ArrayLike) -> FloatVector:
        probs = tempered_softmax(logits, self.tau)
        if self.p >= 1.0:
            return probs  # keeps every id, so p = 1 is exactly Temperature(tau)
        order = np.argsort(-probs, kind="stable")  # (V,)
        n = nucleus_size(probs[order], self.p)
        kept = np.zeros(probs.size, dtype=bool)
        kept[order[:n]] = True
        truncated = np.where(kept, probs, 0.0)
        out: FloatVector = truncated / truncated.sum()
        return out

    def __call__(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        return draw(self.probabilities(logits), rng)


__all__ = [
    "Greedy",
    "Strategy",
    "Temperature",
    "TopK",
    "TopP",
    "draw",
    "entropy",
    "nucleus_size",
    "tempered_softmax",
    "validate_logits",
]
