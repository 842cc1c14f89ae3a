"""Multi-head self-attention from packed Q|K|V to merged heads as one graph node (the training fast path).

`MultiHeadAttention` teaches attention as a chain of small ops: three projections, a reshape and transpose
per head, RoPE on even and odd halves, scores, a mask by multiply-and-add, softmax, a weighted sum, and the
merge back — about forty graph nodes per layer, each with its own temporaries and backward closure. Here the
part between the projections (RoPE → scores → mask → softmax → weighted sum → merge) is one node whose
backward is written out:

    S = Q̃ K̃ᵀ (Q̃ = rope(Q)/√Dh, K̃ = rope(K)),   P = softmax(mask(S)),   O = P V
    dV = Pᵀ dO,   dP = dO Vᵀ,   dS = P ⊙ (dP − rowsum(dP ⊙ P)),   dQ̃ = dS K̃,   dK̃ = dSᵀ Q̃

then the rotation's transpose brings dQ̃ and dK̃ back to the unrotated, unscaled Q and K. A masked score is
*replaced* by `MASKED` as in `scaled_dot_product_attention`, so its gradient is zero and a row with nothing to
attend to is uniform; the 1/√Dh scale rides on the RoPE tables for free. The tests hold this node to the
composed path to 1e-6 in float64 (outputs and every gradient).

Grouped-query attention (phase 27): with H_kv < H key/value heads, query head h reads key/value head
h // (H / H_kv) (torch's `repeat_interleave` order). The keys are never copied per query head: the H query heads
are viewed as (H_kv, G) and multiplied against a broadcast (H_kv, 1) axis of keys (`shared_kv_matmul`), and the
gradient of a shared key sums over its group (`group_sum_matmul`). With H_kv = H both are the plain matmul.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from minigrad.tensor import Tensor, _make
from minimodel.positional import rope_phasors, rope_rotate, rope_unrotate

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.floating]
RopeTables = tuple[FloatArray, FloatArray]
#: The score a masked position gets (`minimodel.attention` re-exports it): large and negative, not -inf,
#: so a row with nothing to attend to becomes uniform instead of NaN.
MASKED = -1e9


def _heads(x: FloatArray, n_heads: int) -> FloatArray:
    """(B, T, D) → (B, H, T, Dh) as a strided view (BLAS reads it in place, no copy)."""
    batch, length, d = x.shape
    return x.reshape(batch, length, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def allowed_positions(
    mask: BoolArray | None, causal: bool, length: int, keys: int, window: int | None = None
) -> BoolArray | None:
    """True where query i may read key j, broadcastable to (B, H, T, Tk); None when everything is allowed.

    `window` W (causal only) also drops keys more than W − 1 positions behind the query (sliding window).
    """
    allowed = None if mask is None else np.asarray(mask, dtype=bool)
    if causal:
        past = keys - length  # queries sit at key positions past .. past + T - 1
        pos = (past + np.arange(length))[:, None]  # (T, 1)
        order = np.arange(keys)[None, :] <= pos  # (T, Tk)
        if window is not None:
            order &= np.arange(keys)[None, :] > pos - window
        allowed = order if allowed is None else allowed & order
    return allowed


def _grouped(a: FloatArray, groups: int) -> FloatArray:
    """(…, H, X, Y) → (…, H_kv, G, X, Y): query head h = g_kv · G + g, as torch's repeat_interleave."""
    *lead, heads, rows, cols = a.shape
    return a.reshape(*lead, heads // groups, groups, rows, cols)


def shared_kv_matmul(a: FloatArray, b: FloatArray) -> FloatArray:
    """a (…, H, X, Y) @ b (…, H_kv, Y, Z) → (…, H, X, Z), each group of H / H_kv heads reading one b head."""
    groups = a.shape[-3] // b.shape[-3]
    if groups == 1:
        same: FloatArray = np.matmul(a, b)
        return same
    out = np.matmul(_grouped(a, groups), b[..., None, :, :])  # (…, H_kv, G, X, Z)
    merged: FloatArray = out.reshape(*a.shape[:-1], b.shape[-1])
    return merged


def group_sum_matmul(a: FloatArray, b: FloatArray, kv_heads: int) -> FloatArray:
    """Σ over each group of a (…, H, X, Y) @ b (…, H, Y, Z) → (…, H_kv, X, Z): a shared head's gradient."""
    groups = a.shape[-3] // kv_heads
    if groups == 1:
        same: FloatArray = np.matmul(a, b)
        return same
    summed: FloatArray = np.matmul(_grouped(a, groups), _grouped(b, groups)).sum(axis=-3)
    return summed


def fused_self_attention(
    qkv: Tensor,
    n_heads: int,
    *,
    rope: RopeTables | None = None,
    start: int = 0,
    mask: BoolArray | None = None,
    causal: bool = True,
    n_kv_heads: int | None = None,
    window: int | None = None,
) -> tuple[Tensor, FloatArray]:
    """qkv (B, T, D + 2·D_kv) = x @ [W_q | W_k | W_v] → merged heads (B, T, D), and the weights P (B, H, T, T).

    `rope` is `(cos, sin)` from `precompute_rope` (positions start .. start+T-1); `mask` (True = may attend)
    broadcasts to (B, H, T, T); `causal` adds the lower-triangular mask and `window` narrows it to a band.
    `n_kv_heads` (default `n_heads`) is the number of key/value heads, D_kv = n_kv_heads · Dh.
    """
    kv_heads = n_heads if n_kv_heads is None else n_kv_heads
    span = n_heads + 2 * kv_heads  # head-sized column groups in Q | K | V
    if qkv.ndim != 3 or n_heads % kv_heads or qkv.shape[-1] % span:
        raise ValueError(
            f"fused_self_attention needs packed (B, T, D + 2·D_kv) projections of {n_heads} query and "
            f"{kv_heads} key/value heads, got shape {qkv.shape}"
        )
    batch, length, width = qkv.shape
    d_head = width // span
    d, d_kv = n_heads * d_head, kv_heads * d_head
    scale = 1.0 / math.sqrt(d_head)
    data = qkv.data
    dtype = data.dtype
    qk_width = d + d_kv
    if rope is not None:
        per_head = rope_phasors(*rope, start=start, length=length, dtype=dtype)  # (T, Dh/2)
        phasors = np.concatenate(
            [np.tile(per_head, n_heads) * scale, np.tile(per_head, kv_heads)], axis=-1
        )  # (T, (D + D_kv)/2) complex: Q's scaled | K's
        qk = rope_rotate(data[..., :qk_width], phasors)  # (B, T, D + D_kv): Q̃ (scaled) | K̃
    else:
        qk = data[..., :qk_width] * np.concatenate(
            [np.full(d, scale, dtype=dtype), np.ones(d_kv, dtype=dtype)]
        )  # (B, T, D + D_kv) Q/√Dh | K
    q = _heads(qk[..., :d], n_heads)  # (B, H, T, Dh)
    k = _heads(qk[..., d:], kv_heads)  # (B, H_kv, T, Dh)
    v = _heads(data[..., qk_width:], kv_heads)  # (B, H_kv, T, Dh)

    p = shared_kv_matmul(q, k.swapaxes(-1, -2))  # (B, H, T, T) scores, then probabilities in place
    allowed = allowed_positions(mask, causal, length, length, window)
    blocked = None
    if allowed is not None:
        try:
            blocked = np.broadcast_to(~allowed, p.shape)  # (B, H, T, T)
        except ValueError:
            raise ValueError(
                f"mask of shape {allowed.shape} does not broadcast to scores {p.shape}"
            ) from None
        np.copyto(p, MASKED, where=blocked)
    p -= p.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    # a row with some allowed key gives exactly 0 to its masked ones; only empty rows need the mask in backward
    empty_rows = allowed is not None and not bool(np.all(np.any(allowed, axis=-1)))

    merged = np.empty((batch, length, d), dtype=dtype)  # (B, T, D)
    _heads(merged, n_heads)[...] = shared_kv_matmul(
        p, v
    )  # (B, H, T, Dh) written straight into merged heads
    out = _make(merged, (qkv,), "self_attention")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            g_heads = _heads(g, n_heads)  # (B, H, T, Dh)
            grad = np.empty((batch, length, width), dtype=dtype)  # (B, T, D + 2·D_kv) dQ | dK | dV
            _heads(grad[..., qk_width:], kv_heads)[...] = group_sum_matmul(
                p.swapaxes(-1, -2), g_heads, kv_heads
            )
            ds = shared_kv_matmul(g_heads, v.swapaxes(-1, -2))  # (B, H, T, T) dP, then dS in place
            ds -= (ds * p).sum(axis=-1, keepdims=True)
            ds *= p
            if empty_rows and blocked is not None:
                np.copyto(ds, 0.0, where=blocked)
            _heads(grad[..., :d], n_heads)[...] = shared_kv_matmul(ds, k)  # dQ̃
            _heads(grad[..., d:qk_width], kv_heads)[...] = group_sum_matmul(
                ds.swapaxes(-1, -2), q, kv_heads
            )  # dK̃
            if rope is not None:
                grad[..., :qk_width] = rope_unrotate(grad[..., :qk_width], phasors)
            else:
                grad[..., :d] *= scale
            qkv._accumulate(grad, "self_attention")

        out._backward = _backward
    return out, p


__all__ = [
    "MASKED",
    "BoolArray",
    "allowed_positions",
    "fused_self_attention",
    "group_sum_matmul",
    "shared_kv_matmul",
]
