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
from minigrad.tensor import Tensor

BoolArray = npt.NDArray[np.bool_]
MASKED = -1e9


def causal_mask(length: int) -> BoolArray:
    """(T, T): position i may attend to j ≤ i."""
    return np.tril(np.ones((length, length), dtype=bool))


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
        scores = scores + Tensor(np.asarray(bias, dtype=scores.dtype))
    if mask is not None:
        try:
            keep = np.broadcast_to(mask, scores.shape)
        except ValueError:
            raise ValueError(
                f"mask of shape {np.shape(mask)} does not broadcast to scores {scores.shape}"
            ) from None
        # replace (not add to) masked scores: their gradient is zero and an all-masked row is uniform
        fill = np.where(keep, 0.0, MASKED).astype(scores.dtype)
        scores = scores * Tensor(keep.astype(scores.dtype)) + Tensor(fill)
    weights = softmax(scores, axis=-1)  # (..., Tq, Tk)
    return weights @ v, weights  # (..., Tq, Dv), (..., Tq, Tk)
