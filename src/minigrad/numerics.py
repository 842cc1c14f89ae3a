"""Numerically safe primitives: softmax, log-softmax, log-sum-exp and summation that does not drift.

Phase 02 shows why these exist. `exp` overflows float32 just above 88.7, so the textbook softmax turns one large
logit into `inf / inf = NaN`; subtracting the row maximum first is an algebraic no-op that keeps every
exponent in (-inf, 0]. The naive versions are kept on purpose (suffix `_naive`) so the labs and breaks can put
both side by side. Float bit decoding and int8 quantisation live in `minigrad.floatbits` and `minigrad.int8`
and are re-exported here, so `minigrad.numerics` is the one import a learner needs for phase 02.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad.floatbits import (
    Float32Parts,
    bf16_round_trip,
    decode_float32,
    encode_float32,
    from_bf16_bits,
    to_bf16_bits,
)
from minigrad.int8 import (
    AffineParams,
    QuantReport,
    dequantize_affine,
    dequantize_symmetric,
    int8_round_trip,
    quantize_affine,
    quantize_symmetric,
    symmetric_scale,
)

FloatArray = NDArray[np.floating]


def _as_float_array(x: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis, got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; softmax over zero classes is undefined")
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    return arr


def _max_and_log_rest(arr: FloatArray, axis: int) -> tuple[FloatArray, FloatArray]:
    """(m, log(sum(exp(x - m)))) along `axis`, both with keepdims, for rows that may hold ±inf or NaN.

    The sum always contains exp(0) = 1 from the maximum itself, so log(1 + rest) is computed as
    log1p(rest) with the maximum's term left out: that keeps full relative precision when the other terms
    are tiny (logsumexp([0, -11]) = 1.67e-5 to the last digit, not to 1e-11).
    """
    m = np.max(arr, axis=axis, keepdims=True)
    safe_m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(arr - safe_m)
    np.put_along_axis(e, np.argmax(arr, axis=axis, keepdims=True), 0.0, axis=axis)
    log_rest = np.log1p(np.sum(e, axis=axis, keepdims=True))
    # Special rows: all -inf (empty sum), any +inf (infinite sum), any NaN (undefined).
    log_rest = np.where(np.isneginf(m), -np.inf, log_rest)
    log_rest = np.where(np.isposinf(m), np.inf, log_rest)
    log_rest = np.where(np.isnan(m), np.nan, log_rest)
    return safe_m, log_rest


def logsumexp(x: ArrayLike, axis: int = -1, keepdims: bool = False) -> FloatArray:
    """log(sum(exp(x))) along `axis`, computed as m + log(sum(exp(x - m))) with m the maximum.

    Rows whose entries are all -inf give -inf (the log of an empty sum), not NaN: a fully masked row is a
    legitimate input in attention, and -inf propagates honestly.
    """
    arr = _as_float_array(x, "x")
    safe_m, log_rest = _max_and_log_rest(arr, axis)
    out = safe_m + log_rest
    result: FloatArray = out if keepdims else np.squeeze(out, axis=axis)
    return result


def log_softmax(x: ArrayLike, axis: int = -1) -> FloatArray:
    """(x - m) - log(sum(exp(x - m))): log-probabilities that stay finite where softmax underflows to 0.

    Written with the shift applied first rather than as x - logsumexp(x): for logits near 1000 the latter
    subtracts two large, nearly equal numbers and loses the last few digits.
    """
    arr = _as_float_array(x, "x")
    safe_m, log_rest = _max_and_log_rest(arr, axis)
    with np.errstate(invalid="ignore"):
        out: FloatArray = (arr - safe_m) - log_rest
    return out


def softmax(x: ArrayLike, axis: int = -1) -> FloatArray:
    """exp(x - max) / sum(exp(x - max)): every exponent is <= 0, so nothing overflows.

    A row that is entirely -inf (everything masked) has no distribution; it comes back as NaN so the caller
    notices, rather than as a silently invented uniform distribution.
    """
    arr = _as_float_array(x, "x")
    m = np.max(arr, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):  # (-inf) - (-inf) in an all-masked row is the intended NaN
        e = np.exp(arr - m)
    probs: FloatArray = e / np.sum(e, axis=axis, keepdims=True)
    return probs


def softmax_jacobian(z: ArrayLike) -> FloatArray:
    """∂softmax(z)_i/∂z_j = p_i(δ_ij − p_j), i.e. diag(p) − p pᵀ for a 1-D logit vector (K,) -> (K, K).

    Symmetric, rows summing to 0 (the probabilities always sum to 1, so no direction changes the total).
    Phase 04 derives it by hand; combined with cross-entropy it collapses to `softmax(z) − onehot(y)`.
    """
    arr = _as_float_array(z, "z")
    if arr.ndim != 1:
        raise ValueError(f"z must be a 1-D logit vector, got shape {arr.shape}")
    p = softmax(arr)  # (K,)
    jac: FloatArray = np.diag(p) - np.outer(p, p)  # (K, K)
    return jac


def softmax_naive(x: ArrayLike, axis: int = -1) -> FloatArray:
    """The textbook exp(x) / sum(exp(x)): overflows to inf/NaN once a logit passes ~88.7 in float32."""
    arr = _as_float_array(x, "x")
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(arr)
        probs: FloatArray = e / np.sum(e, axis=axis, keepdims=True)
    return probs


def logsumexp_naive(x: ArrayLike, axis: int = -1) -> FloatArray:
    """log(sum(exp(x))) without the shift: +inf for large logits, -inf for very negative ones."""
    arr = _as_float_array(x, "x")
    with np.errstate(over="ignore", divide="ignore"):
        out: FloatArray = np.log(np.sum(np.exp(arr), axis=axis))
    return out


def log_softmax_naive(x: ArrayLike, axis: int = -1) -> FloatArray:
    """log(softmax_naive(x)): -inf where a probability underflowed to 0, NaN where it overflowed."""
    with np.errstate(divide="ignore"):
        return np.log(softmax_naive(x, axis=axis))


# --- summation -------------------------------------------------------------------------------------------


def _as_vector(values: ArrayLike) -> NDArray[np.floating]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"values must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    return arr


def naive_sum(values: ArrayLike) -> float:
    """Left-to-right accumulation in the input's precision: error grows like N * eps."""
    arr = _as_vector(values)
    total = arr.dtype.type(0)
    for v in arr:
        total = total + v  # stays in arr's dtype (float32 + float32 -> float32)
    return float(total)


def kahan_sum(values: ArrayLike) -> float:
    """Kahan's compensated sum in the input's precision: the lost low bits ride along in `c`.

    The error bound is about 2 eps * sum|x_i|, independent of N, which is why it beats a plain loop by orders
    of magnitude on long float32 sums.
    """
    arr = _as_vector(values)
    zero = arr.dtype.type(0)
    total, c = zero, zero
    for v in arr:
        y = v - c
        t = total + y
        c = (t - total) - y  # what the addition just rounded away, with the sign flipped
        total = t
    return float(total)


def neumaier_sum(values: ArrayLike) -> float:
    """Neumaier's variant of Kahan: also exact when an addend is larger than the running total."""
    arr = _as_vector(values)
    zero = arr.dtype.type(0)
    total, c = zero, zero
    for v in arr:
        t = total + v
        # Recover the rounding error from whichever operand was smaller in magnitude.
        lost = ((total - t) + v) if abs(total) >= abs(v) else ((v - t) + total)
        c = c + lost
        total = t
    return float(total + c)


def pairwise_sum(values: ArrayLike, block: int = 8) -> float:
    """Recursive halving in the input's precision: error grows like log2(N) * eps.

    Blocks of at most `block` elements are added left to right; NumPy's own `sum` uses the same idea with a
    block of 128, which is why `np.sum` is far more accurate than a Python loop.
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    arr = _as_vector(values)

    def rec(lo: int, hi: int) -> np.floating:
        if hi - lo <= block:
            total = arr.dtype.type(0)
            for v in arr[lo:hi]:
                total = total + v
            return total
        mid = (lo + hi) // 2
        return rec(lo, mid) + rec(mid, hi)

    return float(rec(0, arr.size))


def fp64_sum(values: ArrayLike) -> float:
    """A left-to-right loop with a float64 accumulator: the cheapest correct fix for float32 data."""
    arr = _as_vector(values)
    total = 0.0
    for v in arr:
        total += float(v)
    return total


def exact_sum(values: ArrayLike) -> float:
    """The correctly rounded sum (math.fsum), the oracle the other sums are measured against."""
    return math.fsum(float(v) for v in _as_vector(values))


__all__ = [
    "AffineParams",
    "Float32Parts",
    "QuantReport",
    "bf16_round_trip",
    "decode_float32",
    "dequantize_affine",
    "dequantize_symmetric",
    "encode_float32",
    "exact_sum",
    "fp64_sum",
    "from_bf16_bits",
    "int8_round_trip",
    "kahan_sum",
    "log_softmax",
    "log_softmax_naive",
    "logsumexp",
    "logsumexp_naive",
    "naive_sum",
    "neumaier_sum",
    "pairwise_sum",
    "quantize_affine",
    "quantize_symmetric",
    "softmax",
    "softmax_jacobian",
    "softmax_naive",
    "symmetric_scale",
    "to_bf16_bits",
]
