"""Positional information for attention, which by itself cannot tell "he works" from "works he".

- Sinusoidal: fixed waves added to the embeddings; position p, pair i uses frequency base^(-2i/d).
- RoPE: rotate each (even, odd) pair of query/key features by an angle proportional to the position, so the
  dot product of a query at m and a key at n depends only on m - n. Interleaved pairs (0,1), (2,3), … as in the
  original paper.
- ALiBi: no embedding at all; each head adds -slope·(i - j) to the attention score of query i on key j.

- Learned: a trainable (T_max, D) table, one row per position; it knows nothing about positions it never
  saw, which is why it cannot extrapolate (beyond T_max it can only repeat its last row, `clamp=True`).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from minigrad.nn import Module, Parameter
from minigrad.tensor import Tensor, stack

FloatArray = npt.NDArray[np.floating]


def _check_even(d: int, what: str) -> None:
    if d <= 0 or d % 2:
        raise ValueError(f"{what} must be a positive even number, got {d}")


def sinusoidal(
    length: int, d_model: int, *, base: float = 10_000.0, dtype: npt.DTypeLike = np.float32
) -> FloatArray:
    """(T, D) table: column 2i is sin(p·ω_i), column 2i+1 is cos(p·ω_i), ω_i = base^(-2i/D)."""
    _check_even(d_model, "d_model")
    positions = np.arange(length, dtype=np.float64)[:, None]  # (T, 1)
    freqs = base ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # (D/2,)
    angles = positions * freqs  # (T, D/2)
    table = np.empty((length, d_model), dtype=np.float64)  # (T, D)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles)
    return table.astype(dtype)


def precompute_rope(
    length: int, d_head: int, *, base: float = 10_000.0, dtype: npt.DTypeLike = np.float32
) -> tuple[FloatArray, FloatArray]:
    """cos and sin tables, each (T, Dh/2): angle p·θ_i with θ_i = base^(-2i/Dh)."""
    _check_even(d_head, "d_head")
    theta = base ** (-np.arange(0, d_head, 2, dtype=np.float64) / d_head)  # (Dh/2,)
    angles = np.arange(length, dtype=np.float64)[:, None] * theta  # (T, Dh/2)
    return np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)


def apply_rope(x: Tensor, cos: FloatArray, sin: FloatArray, *, start: int = 0) -> Tensor:
    """Rotate the feature pairs of `x` (..., T, Dh) for positions start .. start+T-1 (start > 0 with a KV cache)."""
    length, d_head = x.shape[-2], x.shape[-1]
    _check_even(d_head, "the last axis of x")
    if start < 0 or start + length > cos.shape[0]:
        raise ValueError(
            f"positions {start}..{start + length - 1} exceed the precomputed table of {cos.shape[0]}"
        )
    if cos.shape[1] * 2 != d_head:
        raise ValueError(f"tables are for d_head={cos.shape[1] * 2}, x has {d_head}")
    c = cos[start : start + length].astype(x.dtype)  # (T, Dh/2)
    s = sin[start : start + length].astype(x.dtype)  # (T, Dh/2)
    even = x[..., 0::2]  # (..., T, Dh/2)
    odd = x[..., 1::2]  # (..., T, Dh/2)
    rotated = stack([even * c - odd * s, even * s + odd * c], axis=-1)  # (..., T, Dh/2, 2)
    return rotated.reshape(*x.shape)  # (..., T, Dh)


def rope_phasors(
    cos: FloatArray, sin: FloatArray, *, start: int, length: int, dtype: npt.DTypeLike
) -> npt.NDArray[np.complexfloating]:
    """(T, Dh/2) unit complex numbers cos + i·sin for positions start .., for `rope_rotate`."""
    if start < 0 or start + length > cos.shape[0]:
        raise ValueError(
            f"positions {start}..{start + length - 1} exceed the precomputed table of {cos.shape[0]}"
        )
    phasors = np.empty((length, cos.shape[1]), dtype=np.result_type(dtype, np.complex64))
    phasors.real = cos[start : start + length]
    phasors.imag = sin[start : start + length]
    return phasors


def _as_pairs(x: FloatArray) -> npt.NDArray[np.complexfloating]:
    """x (..., Dh) read as (..., Dh/2) complex numbers x₀ + i·x₁, without a copy when x's rows are contiguous."""
    if x.strides[-1] != x.itemsize:
        x = np.ascontiguousarray(x)
    return x.view(np.result_type(x.dtype, np.complex64))


def rope_rotate(x: FloatArray, phasors: npt.NDArray[np.complexfloating]) -> FloatArray:
    """`apply_rope` on plain arrays: each feature pair is a complex number, multiplied by its phasor.

    (x₀ + i·x₁)(c + i·s) = (x₀c − x₁s) + i(x₀s + x₁c) is exactly the interleaved rotation, and one complex
    product runs about ten times faster than gathering even and odd halves. `phasors` (T, Dh/2) may be tiled
    along the last axis (several heads side by side, as pairs never cross a head boundary) and scaled.
    """
    out: FloatArray = (_as_pairs(x) * phasors).view(x.dtype)
    return out


def rope_unrotate(g: FloatArray, phasors: npt.NDArray[np.complexfloating]) -> FloatArray:
    """The transpose of `rope_rotate` (rotation by the opposite angle): the backward pass of the rotation."""
    out: FloatArray = (_as_pairs(g) * np.conj(phasors)).view(g.dtype)
    return out


def alibi_slopes(n_heads: int) -> FloatArray:
    """The geometric head slopes of ALiBi: 2^(-8/H), 2^(-16/H), …; for H not a power of two, the paper's mix."""
    if n_heads < 1:
        raise ValueError(f"n_heads must be positive, got {n_heads}")

    def power_of_two(h: int) -> list[float]:
        start = 2 ** (-8 / h)
        return [start ** (i + 1) for i in range(h)]

    closest = 2 ** int(math.floor(math.log2(n_heads)))
    slopes = power_of_two(closest)
    if closest != n_heads:
        slopes += power_of_two(2 * closest)[0::2][: n_heads - closest]
    return np.asarray(slopes, dtype=np.float64)


def alibi_bias(n_heads: int, length: int, *, dtype: npt.DTypeLike = np.float32) -> FloatArray:
    """(H, T, T) additive scores: -slope_h · (i - j) for keys j ≤ i, 0 above the diagonal (the causal mask owns it)."""
    distance = np.arange(length)[:, None] - np.arange(length)[None, :]  # (T, T)
    distance = np.maximum(distance, 0)
    bias: FloatArray = (-alibi_slopes(n_heads)[:, None, None] * distance[None]).astype(
        dtype
    )  # (H, T, T)
    return bias


class LearnedPositional(Module):
    """A trainable (T_max, D) table of absolute positions, added to the token embeddings like sinusoidal."""

    def __init__(
        self, max_len: int, d_model: int, *, rng: np.random.Generator, init_scale: float = 0.02
    ) -> None:
        super().__init__()
        if max_len < 1 or d_model < 1:
            raise ValueError(f"LearnedPositional needs positive sizes, got {max_len}, {d_model}")
        self.max_len, self.d_model = max_len, d_model
        self.table = Parameter(rng.standard_normal((max_len, d_model)) * init_scale)  # (Tmax, D)

    def forward(self, length: int, *, clamp: bool = False) -> Tensor:
        """Rows for positions 0..length-1 (T, D); past T_max an error, or the last row repeated if `clamp`."""
        if length > self.max_len and not clamp:
            raise ValueError(
                f"sequence of {length} positions exceeds the learned table of {self.max_len} "
                "(pass clamp=True to reuse its last row)"
            )
        positions = np.minimum(np.arange(length), self.max_len - 1)  # (T,)
        return self.table[positions]  # (T, D)


def rotate_at(x: FloatArray, position: int, *, base: float = 10_000.0) -> FloatArray:
    """RoPE rotation of one vector x (Dh,) at any integer position (negative too), in float64."""
    d_head = x.shape[-1]
    _check_even(d_head, "the last axis of x")
    theta = base ** (-np.arange(0, d_head, 2, dtype=np.float64) / d_head)  # (Dh/2,)
    c, s = np.cos(position * theta), np.sin(position * theta)  # (Dh/2,) each
    even, odd = x[0::2], x[1::2]  # (Dh/2,) each
    out = np.empty(d_head, dtype=np.float64)  # (Dh,)
    out[0::2] = even * c - odd * s
    out[1::2] = even * s + odd * c
    return out
