"""Phase 27: the online softmax — softmax(s) · V in one pass over s, chunk by chunk, without ever holding all of s.

The stable softmax needs max(s) before it can exponentiate anything, so the textbook form reads the scores
twice. The online form keeps three running values per row instead: the largest score seen so far m, the
denominator ℓ = Σ exp(s_j − m) and the unnormalised output o = Σ exp(s_j − m) v_j. When a new chunk raises the
maximum to m', everything accumulated so far was exponentiated against the old m, so it is multiplied by

    α = exp(m − m')   (≤ 1: every exponent stays ≤ 0, nothing overflows)

before the chunk's own terms are added. At the end o / ℓ is exactly softmax(s) · V — an algebraic identity, not
an approximation, whatever the chunk size or order. FlashAttention (`minimodel.flash`) is this recurrence run
over tiles of keys. `rescale_factor` is one method so phase 27's break can subclass it away (α = 1): the sums
then mix terms measured against different maxima, and the error grows with every new maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]


@dataclass
class OnlineState:
    """Running max m (..., R, 1), denominator ℓ (..., R, 1) and unnormalised output o (..., R, Dv) of R rows."""

    m: FloatArray
    ell: FloatArray
    o: FloatArray

    @classmethod
    def empty(cls, rows: tuple[int, ...], d_v: int, dtype: npt.DTypeLike) -> OnlineState:
        """Nothing seen yet: m = −∞, ℓ = 0, o = 0 (the first chunk's α = exp(−∞) = 0 wipes nothing)."""
        return cls(
            m=np.full((*rows, 1), -np.inf, dtype=dtype),  # (..., 1)
            ell=np.zeros((*rows, 1), dtype=dtype),  # (..., 1)
            o=np.zeros((*rows, d_v), dtype=dtype),  # (..., Dv)
        )

    def rescale_factor(self, m_new: FloatArray) -> FloatArray:
        """α = exp(m − m') (..., R, 1), ≤ 1: what the sums kept so far are worth against the new max."""
        out: FloatArray = np.exp(self.m - m_new)
        return out

    def update(self, scores: FloatArray, values: FloatArray) -> None:
        """Fold in one chunk: scores (..., R, C) of R rows (−∞ where masked) and the values (..., C, Dv) the
        rows share (FlashAttention's key tile; the rows are its queries).

        A row whose scores so far are all −∞ keeps m = −∞; its exponents are taken against 0 instead so they
        stay exp(−∞) = 0 rather than NaN, and ℓ stays 0.
        """
        m_new = np.maximum(self.m, scores.max(axis=-1, keepdims=True))  # (..., 1)
        ref = np.where(np.isneginf(m_new), 0.0, m_new)  # (..., 1) a finite reference for dead rows
        p = np.exp(scores - ref)  # (..., C), every exponent ≤ 0
        alpha = self.rescale_factor(ref)  # (..., R, 1)
        self.ell *= alpha
        self.o *= alpha
        self.ell += p.sum(axis=-1, keepdims=True)
        self.o += np.matmul(p, values)  # (..., R, Dv)
        self.m = m_new

    def result(self) -> FloatArray:
        """o / ℓ: the softmax-weighted sum, (..., Dv)."""
        out: FloatArray = self.o / self.ell
        return out

    def logsumexp(self) -> FloatArray:
        """log Σ exp(s_j) = m + log ℓ, (...,): all a backward pass needs to rebuild the probabilities."""
        out: FloatArray = (self.m + np.log(self.ell))[..., 0]
        return out


def softmax_weighted_sum(scores: FloatArray, values: FloatArray) -> FloatArray:
    """The two-pass reference: softmax(scores) (..., N) times values (..., N, Dv) → (..., Dv)."""
    shifted = scores - scores.max(axis=-1, keepdims=True)  # (..., N)
    p = np.exp(shifted)
    p /= p.sum(axis=-1, keepdims=True)
    out: FloatArray = np.matmul(p[..., None, :], values)[..., 0, :]  # (..., Dv)
    return out


def online_softmax_weighted_sum(
    scores: FloatArray,
    values: FloatArray,
    *,
    chunk: int,
    state: type[OnlineState] = OnlineState,
) -> FloatArray:
    """softmax(scores) · values in one pass over chunks of `chunk` scores: scores (..., N), values (..., N, Dv)."""
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive int, got {chunk!r}")
    if scores.shape[-1] != values.shape[-2]:
        raise ValueError(
            f"scores (..., N) and values (..., N, Dv) disagree on N: {scores.shape} vs {values.shape}"
        )
    if scores.shape[-1] == 0:
        raise ValueError("the softmax of zero scores is undefined")
    dtype = np.result_type(scores, values)
    rows = scores[..., None, :]  # (..., 1, N): each row of scores has its own values
    running = state.empty(rows.shape[:-1], values.shape[-1], dtype)
    for begin in range(0, scores.shape[-1], chunk):
        running.update(rows[..., begin : begin + chunk], values[..., begin : begin + chunk, :])
    out: FloatArray = running.result()[..., 0, :]  # (..., Dv)
    return out


__all__ = ["OnlineState", "online_softmax_weighted_sum", "softmax_weighted_sum"]
