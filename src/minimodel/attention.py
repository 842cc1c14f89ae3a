"""Scaled dot-product attention and its masks, on `minigrad` tensors.

Every query scores every key with a dot product divided by √d_k — without that division the scores grow with
the head size and the softmax saturates to one-hot, killing its gradient (phase 15's break). Masks are boolean
arrays, True where attention is allowed (PyTorch's convention), broadcast against the (…, Tq, Tk) scores. A
masked score is replaced by a large negative constant rather than -inf, so a row with nothing to attend to
becomes uniform instead of NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from minigrad.functional import softmax
from minigrad.nn import Module, Parameter
from minigrad.tensor import Tensor, concatenate
from minimodel.fused_attention import MASKED as MASKED
from minimodel.fused_attention import BoolArray as BoolArray
from minimodel.fused_attention import fused_self_attention
from minimodel.kv_cache import KVStore
from minimodel.positional import apply_rope


def causal_mask(length: int) -> BoolArray:
    """(T, T): position i may attend to j ≤ i."""
    return np.tril(np.ones((length, length), dtype=bool))


def sliding_window_mask(length: int, window: int) -> BoolArray:
    """(T, T): position i may attend to i − W < j ≤ i, the W most recent positions including itself."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    pos, key = np.arange(length)[:, None], np.arange(length)[None, :]  # (T, 1), (1, T)
    band: BoolArray = (key <= pos) & (key > pos - window)
    return band


def padding_mask(lengths: Sequence[int], length: int) -> BoolArray:
    """(B, 1, 1, T): key j of sequence b is real (j < lengths[b]); broadcasts over heads and queries."""
    lengths_array = np.asarray(lengths)
    if np.any(lengths_array < 0) or np.any(lengths_array > length):
        raise ValueError(f"lengths must lie in 0..{length}, got {list(lengths)}")
    keys = np.arange(length)[None, :] < lengths_array[:, None]  # (B, T)
    return keys[:, None, None, :]


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: BoolArray | None = None,
    *,
    bias: npt.NDArray[np.floating] | None = None,
) -> tuple[Tensor, Tensor]:
    """Attention output (…, Tq, Dv) and the weights (…, Tq, Tk).

    `bias` is added to the scores before masking (ALiBi); `mask` is True where attention is allowed.
    """
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"queries and keys need the same feature size, got {q.shape[-1]} and {k.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"keys and values need the same length, got {k.shape[-2]} and {v.shape[-2]}"
        )
    scores = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))  # (..., Tq, Tk)
    if bias is not None:
        scores = scores + Tensor(np.asarray(bias, dtype=scores.dtype))  # (..., Tq, Tk)
    if mask is not None:
        try:
            keep = np.broadcast_to(mask, scores.shape)
        except ValueError:
            raise ValueError(
                f"mask of shape {np.shape(mask)} does not broadcast to scores {scores.shape}"
            ) from None
        # replace (not add to) masked scores: their gradient is zero and an all-masked row is uniform
        fill = np.where(keep, 0.0, MASKED).astype(scores.dtype)
        scores = scores * Tensor(keep.astype(scores.dtype)) + Tensor(fill)  # (..., Tq, Tk)
    weights = softmax(scores, axis=-1)  # (..., Tq, Tk)
    return weights @ v, weights  # (..., Tq, Dv), (..., Tq, Tk)


class MultiHeadAttention(Module):
    """H heads of scaled dot-product attention over (B, T, d_model), with output projection.

    Q, K and V are one (d_model, d_model) projection each, split into H heads of d_head = d_model / H
    features; the heads' outputs are concatenated back to d_model and mixed by W_o. Weights start as
    N(0, 1/d_model) so the projections roughly keep the input's scale. `rope=(cos, sin)` rotates queries and
    keys per head (phase 16); `last_weights` keeps the (B, H, T, T) attention of the latest call for plots.

    Phase 27: `n_kv_heads` < n_heads shares each key/value head among n_heads / n_kv_heads query heads
    (grouped-query attention; 1 is multi-query). W_k and W_v shrink to (D, n_kv_heads · Dh), and so does the
    KV cache; with the default (None = n_heads) the parameters and their draws are exactly the MHA ones.
    `window` (causal calls only) limits each query to the `window` most recent positions.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        *,
        qkv_bias: bool = False,
        n_kv_heads: int | None = None,
        window: int | None = None,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        if d_model < 1 or n_heads < 1 or d_model % n_heads:
            raise ValueError(
                f"d_model must be a positive multiple of n_heads, got d_model={d_model}, n_heads={n_heads}"
            )
        kv_heads = n_heads if n_kv_heads is None else n_kv_heads
        if (
            isinstance(kv_heads, bool)
            or not isinstance(kv_heads, int)
            or kv_heads < 1
            or n_heads % kv_heads
        ):
            raise ValueError(f"n_kv_heads must divide n_heads={n_heads}, got {n_kv_heads!r}")
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 1
        ):
            raise ValueError(f"window must be a positive int or None, got {window!r}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.n_kv_heads, self.window = kv_heads, window
        d_kv = kv_heads * self.d_head
        scale = 1.0 / math.sqrt(d_model)

        def weight(width: int) -> Parameter:
            return Parameter(rng.standard_normal((d_model, width)) * scale)

        self.w_q, self.w_k, self.w_v, self.w_o = (
            weight(d_model),
            weight(d_kv),
            weight(d_kv),
            weight(d_model),
        )  # (D, D), (D, D_kv), (D, D_kv), (D, D)
        self.b_q = Parameter(np.zeros(d_model)) if qkv_bias else None  # (D,)
        self.b_k = Parameter(np.zeros(d_kv)) if qkv_bias else None  # (D_kv,)
        self.b_v = Parameter(np.zeros(d_kv)) if qkv_bias else None  # (D_kv,)
        self.last_weights: npt.NDArray[np.floating] | None = None
        # True: uncached calls take the one-node core of `fused_attention`; False: the composed ops below
        self.fused = True

    def _fused_forward(
        self,
        x: Tensor,
        *,
        mask: BoolArray | None,
        causal: bool,
        rope: tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]] | None,
        start: int,
    ) -> Tensor:
        """The training path: one (D, 3D) projection, then the one-node attention core, then W_o.

        The stacked weight is concatenated at use time, so checkpoints keep their three (D, D) parameters
        and each receives its slice of the stacked weight's gradient.
        """
        w_qkv = concatenate([self.w_q, self.w_k, self.w_v], axis=1)  # (D, D + 2·D_kv)
        qkv = x @ w_qkv  # (B, T, D + 2·D_kv), one GEMM
        if self.b_q is not None and self.b_k is not None and self.b_v is not None:
            qkv = qkv + concatenate([self.b_q, self.b_k, self.b_v])  # (B, T, D + 2·D_kv)
        merged, weights = fused_self_attention(
            qkv,
            self.n_heads,
            rope=rope,
            start=start,
            mask=mask,
            causal=causal,
            n_kv_heads=self.n_kv_heads,
            window=self.window if causal else None,
        )  # (B, T, D), (B, H, T, T)
        self.last_weights = weights
        return merged @ self.w_o  # (B, T, D)

    def _heads(self, x: Tensor, w: Tensor, bias: Tensor | None) -> Tensor:
        batch, length, _ = x.shape
        y = x @ w  # (B, T, heads · Dh)
        if bias is not None:
            y = y + bias  # (B, T, heads · Dh)
        return y.reshape(batch, length, -1, self.d_head).transpose(0, 2, 1, 3)  # (B, heads, T, Dh)

    def _repeat_kv(self, kv: Tensor) -> Tensor:
        """(B, H_kv, Tk, Dh) → (B, H, Tk, Dh), each key/value head repeated for its group of query heads
        (the composed path's GQA; its backward sums each group's gradients back onto the shared head)."""
        groups = self.n_heads // self.n_kv_heads
        if groups == 1:
            return kv
        return kv[:, np.repeat(np.arange(self.n_kv_heads), groups)]

    def forward(
        self,
        x: Tensor,
        *,
        mask: BoolArray | None = None,
        causal: bool = False,
        rope: tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]] | None = None,
        cache: KVStore | None = None,
        layer: int = 0,
        start: int = 0,
    ) -> Tensor:
        """x (B, T, d_model) → (B, T, d_model). `mask` (True = may attend) broadcasts to (B, H, T, Tk).

        With `cache`, x holds only the new positions: their keys and values are appended to `cache` at
        `layer` and the queries attend over everything cached (Tk = cached + T). `start` is the absolute
        position of x's first row, used for RoPE; the causal mask always follows the cache's own order.
        """
        if x.ndim != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"MultiHeadAttention expects (B, T, {self.d_model}), got {x.shape}")
        if cache is None and self.fused:
            return self._fused_forward(x, mask=mask, causal=causal, rope=rope, start=start)
        batch, length, _ = x.shape
        q = self._heads(x, self.w_q, self.b_q)  # (B, H, T, Dh)
        k = self._heads(x, self.w_k, self.b_k)  # (B, H_kv, T, Dh)
        v = self._heads(x, self.w_v, self.b_v)  # (B, H_kv, T, Dh)
        if rope is not None:
            q = apply_rope(q, *rope, start=start)  # (B, H, T, Dh)
            k = apply_rope(k, *rope, start=start)  # (B, H_kv, T, Dh)
        past, first = 0, 0
        if cache is not None:
            past = cache.layer_length(layer)
            keys, values = cache.append(layer, k.data, v.data)  # (B, H_kv, Tk, Dh) each
            first = cache.first_position(layer)  # absolute position of keys[..., 0, :]
            k, v = Tensor(keys), Tensor(values)
        allowed = None if mask is None else np.asarray(mask, dtype=bool)
        if causal:
            # query i sits at absolute position past + i and may read keys at positions ≤ past + i
            # (and > past + i − window with a sliding window); the cache's keys start at `first`
            pos = (past + np.arange(length))[:, None]  # (T, 1)
            key_pos = first + np.arange(k.shape[-2])[None, :]  # (1, Tk)
            order = key_pos <= pos  # (T, Tk)
            if self.window is not None:
                order &= key_pos > pos - self.window
            allowed = order if allowed is None else allowed & order
        out, weights = scaled_dot_product_attention(
            q, self._repeat_kv(k), self._repeat_kv(v), allowed
        )  # (B, H, T, Dh), (B, H, T, Tk)
        self.last_weights = weights.data
        merged = out.transpose(0, 2, 1, 3).reshape(batch, length, self.d_model)  # (B, T, D)
        return merged @ self.w_o  # (B, T, D)
