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


def _allowed(mask: BoolArray | None, causal: bool, length: int, keys: int) -> BoolArray | None:
    """True where query i may read key j, broadcastable to (B, H, T, Tk); None when everything is allowed."""
    allowed = None if mask is None else np.asarray(mask, dtype=bool)
    if causal:
        past = keys - length  # queries sit at key positions past .. past + T - 1
        order = np.arange(keys)[None, :] <= (past + np.arange(length))[:, None]  # (T, Tk)
        allowed = order if allowed is None else allowed & order
    return allowed


def fused_self_attention(
    qkv: Tensor,
    n_heads: int,
    *,
    rope: RopeTables | None = None,
    start: int = 0,
    mask: BoolArray | None = None,
    causal: bool = True,
) -> tuple[Tensor, FloatArray]:
    """qkv (B, T, 3D) = x @ [W_q | W_k | W_v] → merged heads (B, T, D), and the weights P (B, H, T, T).

    `rope` is `(cos, sin)` from `precompute_rope` (positions start .. start+T-1); `mask` (True = may attend)
    broadcasts to (B, H, T, T); `causal` adds the lower-triangular mask.
    """
    if qkv.ndim != 3 or qkv.shape[-1] % (3 * n_heads):
        raise ValueError(
            f"fused_self_attention needs packed (B, T, 3·D) projections with D divisible by "
            f"{n_heads} heads, got shape {qkv.shape}"
        )
    batch, length, width = qkv.shape
    d = width // 3
    d_head = d // n_heads
    scale = 1.0 / math.sqrt(d_head)
    data = qkv.data
    dtype = data.dtype
    if rope is not None:
        heads = np.tile(rope_phasors(*rope, start=start, length=length, dtype=dtype), n_heads)
        phasors = np.concatenate(
            [heads * scale, heads], axis=-1
        )  # (T, D) complex: Q's scaled | K's
        qk = rope_rotate(data[..., : 2 * d], phasors)  # (B, T, 2D): rotated Q̃ (scaled) | K̃
    else:
        qk = data[..., : 2 * d] * np.concatenate(
            [np.full(d, scale, dtype=dtype), np.ones(d, dtype=dtype)]
        )  # (B, T, 2D) Q/√Dh | K
    q = _heads(qk[..., :d], n_heads)  # (B, H, T, Dh)
    k = _heads(qk[..., d:], n_heads)  # (B, H, T, Dh)
    v = _heads(data[..., 2 * d :], n_heads)  # (B, H, T, Dh)

    p = np.matmul(q, k.swapaxes(-1, -2))  # (B, H, T, T) scores, then probabilities in place
    allowed = _allowed(mask, causal, length, length)
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
    _heads(merged, n_heads)[...] = np.matmul(
        p, v
    )  # (B, H, T, Dh) written straight into merged heads
    out = _make(merged, (qkv,), "self_attention")
    if out.requires_grad:

        def _backward(out: Tensor) -> None:
            g = out.grad
            if g is None:
                return
            g_heads = _heads(g, n_heads)  # (B, H, T, Dh)
            grad = np.empty((batch, length, width), dtype=dtype)  # (B, T, 3D) dQ | dK | dV
            _heads(grad[..., 2 * d :], n_heads)[...] = np.matmul(p.swapaxes(-1, -2), g_heads)
            ds = np.matmul(g_heads, v.swapaxes(-1, -2))  # (B, H, T, T) dP, then dS in place
            ds -= (ds * p).sum(axis=-1, keepdims=True)
            ds *= p
            if empty_rows and blocked is not None:
                np.copyto(ds, 0.0, where=blocked)
            _heads(grad[..., :d], n_heads)[...] = np.matmul(ds, k)  # dQ̃
            _heads(grad[..., d : 2 * d], n_heads)[...] = np.matmul(ds.swapaxes(-1, -2), q)  # dK̃
            if rope is not None:
                grad[..., : 2 * d] = rope_unrotate(grad[..., : 2 * d], phasors)
            else:
                grad[..., :d] *= scale
            qkv._accumulate(grad, "self_attention")

        out._backward = _backward
    return out, p


__all__ = ["MASKED", "BoolArray", "fused_self_attention"]
