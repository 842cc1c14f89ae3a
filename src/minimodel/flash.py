"""Phase 27: FlashAttention as a NumPy reference — the same attention, never holding the (T, Tk) score matrix.

Naive attention writes S = Q Kᵀ/√d and P = softmax(S), both (T, Tk), then reads P again for P V: memory and
traffic grow as T². The tiled forward (FlashAttention-2's loop order: query tiles outside, key tiles inside)
runs the online softmax of `minimodel.online_softmax` over key tiles, so each step holds one (Bq, Bk) tile and a
(Bq, Dv) accumulator: O(T) memory, the same numbers to rounding. It also returns the per-row logsumexp
L = m + log ℓ, which is all the backward needs: P = exp(S − L) can be *recomputed* tile by tile instead of
stored, and with D = rowsum(dO ⊙ O)

    dV += Pᵀ dO,   dP = dO Vᵀ,   dS = P ⊙ (dP − D),   dQ += dS K / √d,   dK += dSᵀ Q / √d.

Masks are positional, never materialised: `causal` lets query i (at key position Tk − T + i, so a decode step
with a cache lines up) read keys j ≤ i; `window=W` (causal only) also drops keys older than W − 1 positions.
Tiles that the mask empties entirely are skipped, so causal costs about half and a window costs O(T·W).
Shapes: q (..., T, D), k (..., Tk, D), v (..., Tk, Dv), any shared leading (batch, head) axes.
"""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from minimodel.online_softmax import OnlineState

FloatArray = npt.NDArray[np.floating]


@dataclass(frozen=True)
class AttentionOutput:
    """The attention output (..., T, Dv) and the logsumexp of each query's scores (..., T)."""

    out: FloatArray
    lse: FloatArray


@dataclass(frozen=True)
class AttentionGrads:
    """dQ (..., T, D), dK (..., Tk, D), dV (..., Tk, Dv)."""

    dq: FloatArray
    dk: FloatArray
    dv: FloatArray


def _check(
    q: FloatArray, k: FloatArray, v: FloatArray, causal: bool, window: int | None
) -> tuple[int, int]:
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"q, k, v must share one rank >= 2, got {q.shape}, {k.shape}, {v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"q (..., T, D), k (..., Tk, D), v (..., Tk, Dv) disagree: {q.shape}, {k.shape}, {v.shape}"
        )
    length, keys = q.shape[-2], k.shape[-2]
    if window is not None:
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive int or None, got {window!r}")
        if not causal:
            raise ValueError("a sliding window is defined for causal attention only")
    if causal and length > keys:
        raise ValueError(f"causal attention needs T <= Tk, got T={length} queries, Tk={keys} keys")
    return length, keys


def allowed_mask(
    length: int, keys: int, *, causal: bool, window: int | None = None
) -> npt.NDArray[np.bool_] | None:
    """(T, Tk) True where query i may read key j, for query rows [0, length); None when all may."""
    return _tile_mask(0, length, 0, keys, keys - length, causal, window)


def _tile_mask(
    q0: int, q1: int, k0: int, k1: int, past: int, causal: bool, window: int | None
) -> npt.NDArray[np.bool_] | None:
    """(q1 − q0, k1 − k0) mask of one tile; query row i sits at key position past + i."""
    if not causal:
        return None
    pos = past + np.arange(q0, q1)[:, None]  # (Bq, 1)
    key = np.arange(k0, k1)[None, :]  # (1, Bk)
    allowed = key <= pos
    if window is not None:
        allowed &= key > pos - window
    return allowed


def _key_range(q0: int, q1: int, keys: int, past: int, causal: bool, window: int | None) -> range:
    """The key indices some query of rows [q0, q1) may read: tiles outside it are skipped."""
    if not causal:
        return range(0, keys)
    last = min(keys, past + q1)  # one past the newest key the last query reads
    first = 0 if window is None else max(0, past + q0 - window + 1)
    return range(first, last)


def naive_attention(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    *,
    causal: bool = False,
    window: int | None = None,
    scale: float | None = None,
) -> AttentionOutput:
    """The reference: materialise S and P (..., T, Tk), softmax, P V."""
    p, lse = _naive_probs(q, k, v, causal, window, scale)  # (..., T, Tk), (..., T)
    return AttentionOutput(out=np.matmul(p, v), lse=lse)


def _naive_probs(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    causal: bool,
    window: int | None,
    scale: float | None,
) -> tuple[FloatArray, FloatArray]:
    """P = softmax(masked Q Kᵀ · scale) (..., T, Tk) and its rows' logsumexp (..., T), stored whole."""
    length, keys = _check(q, k, v, causal, window)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = np.matmul(q, k.swapaxes(-1, -2)) * scale  # (..., T, Tk)
    allowed = allowed_mask(length, keys, causal=causal, window=window)
    if allowed is not None:
        s = np.where(allowed, s, -np.inf)
    lse = _logsumexp(s)  # (..., T)
    return np.exp(s - lse[..., None]), lse


def _logsumexp(s: FloatArray) -> FloatArray:
    m = s.max(axis=-1, keepdims=True)  # (..., T, 1)
    out: FloatArray = (m + np.log(np.exp(s - m).sum(axis=-1, keepdims=True)))[..., 0]
    return out


def naive_attention_backward(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    d_out: FloatArray,
    *,
    causal: bool = False,
    window: int | None = None,
    scale: float | None = None,
) -> AttentionGrads:
    """The textbook backward through the stored (..., T, Tk) probabilities."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    p, _ = _naive_probs(q, k, v, causal, window, scale)  # (..., T, Tk), masked entries exactly 0
    dp = np.matmul(d_out, v.swapaxes(-1, -2))  # (..., T, Tk)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))  # (..., T, Tk)
    return AttentionGrads(
        dq=np.matmul(ds, k) * scale,
        dk=np.matmul(ds.swapaxes(-1, -2), q) * scale,
        dv=np.matmul(p.swapaxes(-1, -2), d_out),
    )


def _check_blocks(block_q: int, block_k: int) -> None:
    for name, value in (("block_q", block_q), ("block_k", block_k)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def flash_attention(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    *,
    causal: bool = False,
    window: int | None = None,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
    state: type[OnlineState] = OnlineState,
) -> AttentionOutput:
    """The tiled forward: per query tile, the online softmax over key tiles; O(T) extra memory.

    `state` is the running-softmax class (phase 27's break passes one that never rescales).
    """
    length, keys = _check(q, k, v, causal, window)
    _check_blocks(block_q, block_k)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    past = keys - length
    dtype = np.result_type(q, k, v)
    lead = q.shape[:-2]
    out = np.empty((*lead, length, v.shape[-1]), dtype=dtype)  # (..., T, Dv)
    lse = np.empty((*lead, length), dtype=dtype)  # (..., T)
    for q0 in range(0, length, block_q):
        q1 = min(q0 + block_q, length)
        q_tile = q[..., q0:q1, :] * scale  # (..., Bq, D), the scale folded into Q once
        running = state.empty((*lead, q1 - q0), v.shape[-1], dtype)
        span = _key_range(q0, q1, keys, past, causal, window)
        # align tiles to multiples of block_k so the same key tiles are read by every query tile
        for k0 in range(span.start - span.start % block_k, span.stop, block_k):
            k1 = min(k0 + block_k, keys)
            s = np.matmul(q_tile, k[..., k0:k1, :].swapaxes(-1, -2))  # (..., Bq, Bk)
            allowed = _tile_mask(q0, q1, k0, k1, past, causal, window)
            if allowed is not None:
                s = np.where(allowed, s, -np.inf)
            running.update(s, v[..., k0:k1, :])
        out[..., q0:q1, :] = running.result()
        lse[..., q0:q1] = running.logsumexp()
    return AttentionOutput(out=out, lse=lse)


def flash_attention_backward(
    q: FloatArray,
    k: FloatArray,
    v: FloatArray,
    fwd: AttentionOutput,
    d_out: FloatArray,
    *,
    causal: bool = False,
    window: int | None = None,
    scale: float | None = None,
    block_q: int = 64,
    block_k: int = 64,
) -> AttentionGrads:
    """The recompute backward: P rebuilt per tile from the saved logsumexp, never stored whole.

    Key tiles outside, query tiles inside (FlashAttention-2): dK and dV of a key tile finish in one sweep;
    dQ accumulates across key tiles.
    """
    length, keys = _check(q, k, v, causal, window)
    _check_blocks(block_q, block_k)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    past = keys - length
    delta = (d_out * fwd.out).sum(axis=-1)  # (..., T) D_i = rowsum(dO ⊙ O) = rowsum(dP ⊙ P)
    dq = np.zeros(q.shape, dtype=np.result_type(q, d_out))  # (..., T, D)
    dk = np.zeros_like(k, dtype=dq.dtype)  # (..., Tk, D)
    dv = np.zeros_like(v, dtype=dq.dtype)  # (..., Tk, Dv)
    for k0 in range(0, keys, block_k):
        k1 = min(k0 + block_k, keys)
        k_tile, v_tile = k[..., k0:k1, :], v[..., k0:k1, :]  # (..., Bk, D), (..., Bk, Dv)
        for q0 in range(0, length, block_q):
            q1 = min(q0 + block_q, length)
            span = _key_range(q0, q1, keys, past, causal, window)
            if k1 <= span.start or k0 >= span.stop:
                continue  # the mask empties this tile
            q_tile = q[..., q0:q1, :]  # (..., Bq, D)
            s = np.matmul(q_tile, k_tile.swapaxes(-1, -2)) * scale  # (..., Bq, Bk)
            p = np.exp(s - fwd.lse[..., q0:q1, None])  # (..., Bq, Bk)
            allowed = _tile_mask(q0, q1, k0, k1, past, causal, window)
            if allowed is not None:
                p = np.where(allowed, p, 0.0)
            g = d_out[..., q0:q1, :]  # (..., Bq, Dv)
            dv[..., k0:k1, :] += np.matmul(p.swapaxes(-1, -2), g)
            ds = p * (np.matmul(g, v_tile.swapaxes(-1, -2)) - delta[..., q0:q1, None])
            dq[..., q0:q1, :] += np.matmul(ds, k_tile) * scale
            dk[..., k0:k1, :] += np.matmul(ds.swapaxes(-1, -2), q_tile) * scale
    return AttentionGrads(dq=dq, dk=dk, dv=dv)


def peak_bytes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """The most bytes Python allocated at once while `fn(*args, **kwargs)` ran (tracemalloc sees NumPy's
    buffers), measured rather than computed — inputs allocated before the call do not count."""
    if tracemalloc.is_tracing():
        raise RuntimeError("peak_bytes needs tracemalloc to itself; it is already tracing")
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return int(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


__all__ = [
    "AttentionGrads",
    "AttentionOutput",
    "allowed_mask",
    "flash_attention",
    "flash_attention_backward",
    "naive_attention",
    "naive_attention_backward",
    "peak_bytes",
]
