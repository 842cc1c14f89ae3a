"""Phase 20: the numbers of an eval report, each with the uncertainty that keeps it honest.

With 60-100 probes a single accuracy is a coin with a wide spread: 48/60 = 0.80 has a 95 % Wilson interval of
about [0.68, 0.88]. Every accuracy here therefore travels with its Wilson interval (which, unlike the normal
approximation, stays inside [0, 1] and behaves at 0/n and n/n). Calibration asks a different question — when
the model says 0.9, is it right 90 % of the time? — answered by ECE over equal-width confidence bins and by
the Brier score. Perplexity is exp of the *summed* NLL over the *summed* token count, so long sequences weigh
by their tokens and averaging per-sequence perplexities (a common slip) never happens.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for `correct` successes out of `n` (n = 0 gives the vacuous (0, 1))."""
    if n < 0 or not 0 <= correct <= max(n, 0):
        raise ValueError(f"need 0 <= correct <= n, got correct={correct}, n={n}")
    if n == 0:
        return (0.0, 1.0)
    p = correct / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = (
        0.0 if correct == 0 else max(0.0, centre - margin)
    )  # exact at the ends (rounding leaves ~1e-18)
    hi = 1.0 if correct == n else min(1.0, centre + margin)
    return (lo, hi)


@dataclass(frozen=True)
class SliceStat:
    name: str
    value: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else float("nan")

    @property
    def wilson(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.n)

    def as_dict(self) -> dict[str, Any]:
        lo, hi = self.wilson
        return {
            "slice_name": self.name,
            "slice_value": self.value,
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "wilson_lo": lo,
            "wilson_hi": hi,
        }


def slice_accuracy(
    items: Sequence[Any], correct: Sequence[bool], key: Callable[[Any], object], name: str
) -> list[SliceStat]:
    """Accuracy per value of `key(item)`, weakest first (ties by value), so the report leads with problems."""
    if len(items) != len(correct):
        raise ValueError(f"{len(items)} items but {len(correct)} correctness flags")
    counts: dict[str, list[int]] = {}
    for item, ok in zip(items, correct, strict=True):
        cell = counts.setdefault(str(key(item)), [0, 0])
        cell[0] += 1
        cell[1] += int(ok)
    stats = [SliceStat(name, value, n, c) for value, (n, c) in counts.items()]
    return sorted(stats, key=lambda s: (s.accuracy, s.value))


def confusion_matrix(
    true: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """counts[i][j] = how many items with true label i were predicted j (rows true, columns predicted)."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(true, pred, strict=True):
        if t not in index or p not in index:
            raise ValueError(f"label pair ({t!r}, {p!r}) outside {tuple(labels)}")
        matrix[index[t]][index[p]] += 1
    return matrix


def _conf_and_correct(confidences: ArrayLike, correct: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if conf.shape != ok.shape or conf.ndim != 1 or conf.size == 0:
        raise ValueError(f"need two equal non-empty 1-D arrays, got {conf.shape} and {ok.shape}")
    if ((conf < 0) | (conf > 1)).any() or not np.isin(ok, (0.0, 1.0)).all():
        raise ValueError("confidences must lie in [0, 1] and correct must be 0/1")
    return conf, ok


@dataclass(frozen=True)
class ReliabilityBin:
    lo: float
    hi: float
    count: int
    mean_confidence: float
    accuracy: float


def reliability_bins(
    confidences: ArrayLike, correct: ArrayLike, n_bins: int = 10
) -> list[ReliabilityBin]:
    """Equal-width bins on [0, 1]; bin m holds lo <= c < hi, the last one also c = 1. Empty bins have NaNs."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    conf, ok = _conf_and_correct(confidences, correct)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.minimum(np.searchsorted(edges, conf, side="right") - 1, n_bins - 1)  # (N,)
    bins = []
    for m in range(n_bins):
        sel = which == m
        count = int(sel.sum())
        bins.append(
            ReliabilityBin(
                float(edges[m]),
                float(edges[m + 1]),
                count,
                float(conf[sel].mean()) if count else float("nan"),
                float(ok[sel].mean()) if count else float("nan"),
            )
        )
    return bins


def ece(confidences: ArrayLike, correct: ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean |accuracy - confidence| over non-empty bins."""
    bins = reliability_bins(confidences, correct, n_bins)
    n = sum(b.count for b in bins)
    return float(sum(b.count / n * abs(b.accuracy - b.mean_confidence) for b in bins if b.count))


def brier(confidences: ArrayLike, correct: ArrayLike) -> float:
    """Binary Brier score of the top-choice confidence: mean (confidence - correct)^2; 0.25 for a coin."""
    conf, ok = _conf_and_correct(confidences, correct)
    return float(np.mean((conf - ok) ** 2))


def brier_multiclass(probs: Sequence[Sequence[float]], targets: Sequence[Iterable[int]]) -> float:
    """Mean over items of sum_c (p_c - y_c)^2 / C, where y marks every acceptable class of the item.

    Items may have different candidate counts C, so the per-item sum is divided by its own C.
    """
    if len(probs) != len(targets) or not probs:
        raise ValueError("need as many non-empty probability rows as targets")
    total = 0.0
    for row, target in zip(probs, targets, strict=True):
        p = np.asarray(row, dtype=np.float64)
        y = np.zeros_like(p)
        y[list(target)] = 1.0
        total += float(np.sum((p - y) ** 2)) / p.size
    return total / len(probs)


def perplexity(total_nll: float, n_tokens: int) -> float:
    """exp(summed NLL in nats / summed predicted tokens)."""
    if n_tokens <= 0:
        raise ValueError(f"perplexity needs at least one predicted token, got {n_tokens}")
    if not math.isfinite(total_nll) or total_nll < 0:
        raise ValueError(f"total NLL must be a finite non-negative number of nats, got {total_nll}")
    return math.exp(total_nll / n_tokens)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c pass: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_at_k_table(
    outcomes: Mapping[str, Sequence[bool]], ks: Sequence[int] = (1, 10)
) -> dict[str, dict[str, Any]]:
    """pass@k per prompt cell from n graded samples each (the generation sub-eval; REPORT.md section 6)."""
    table: dict[str, dict[str, Any]] = {}
    for cell, graded in sorted(outcomes.items()):
        n, c = len(graded), sum(bool(g) for g in graded)
        if any(k > n for k in ks):
            raise ValueError(f"cell {cell!r} has {n} samples, fewer than k = {max(ks)}")
        table[cell] = {"n": n, "correct": c, **{f"pass@{k}": pass_at_k(n, c, k) for k in ks}}
    return table


def slices_table(stats: Mapping[str, Sequence[SliceStat]]) -> list[dict[str, Any]]:
    """Flat rows for per_slice.csv / results.json, in slice order then weakest first."""
    return [s.as_dict() for name in stats for s in stats[name]]


__all__ = [
    "ReliabilityBin",
    "SliceStat",
    "brier",
    "brier_multiclass",
    "confusion_matrix",
    "ece",
    "pass_at_k",
    "pass_at_k_table",
    "perplexity",
    "reliability_bins",
    "slice_accuracy",
    "slices_table",
    "wilson_interval",
]
