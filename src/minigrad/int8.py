"""float32 <-> int8 round trips, symmetric and affine, with an error report (a preview of phase 26).

Both schemes store `x ≈ s * (q - z)`: symmetric fixes z = 0 and uses s = max|x| / 127, so it wastes codes on
one-sided data; affine (asymmetric) spreads the 256 codes over [min, max]. Rounding is NumPy's
round-half-to-even. The report says how many of the 256 codes a tensor actually used, which is what explains
why small probabilities lose all their relative precision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

QMIN, QMAX = -128, 127
Scheme = Literal["symmetric", "affine"]


def _as_finite(x: ArrayLike) -> NDArray[np.float32]:
    arr = np.asarray(x, dtype=np.float32)
    if arr.size == 0:
        raise ValueError("cannot quantise an empty array")
    if not np.all(np.isfinite(arr)):
        raise ValueError("cannot quantise non-finite values (inf or NaN found)")
    return arr


def symmetric_scale(x: ArrayLike) -> float:
    """max|x| / 127, so the largest magnitude maps to ±127 (1.0 for an all-zero tensor, any scale works)."""
    peak = float(np.max(np.abs(_as_finite(x))))
    return peak / QMAX if peak > 0 else 1.0


def quantize_symmetric(x: ArrayLike, scale: float) -> NDArray[np.int8]:
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    arr = _as_finite(x)
    return np.clip(np.round(arr / np.float32(scale)), QMIN, QMAX).astype(np.int8)


def dequantize_symmetric(q: NDArray[np.int8], scale: float) -> NDArray[np.float32]:
    return q.astype(np.float32) * np.float32(scale)


@dataclass(frozen=True)
class AffineParams:
    scale: float
    zero_point: int  # the int8 code that stands for 0.0


def affine_params(x: ArrayLike) -> AffineParams:
    """Spread [min(x, 0), max(x, 0)] over the 256 codes; including 0 keeps zero exactly representable."""
    arr = _as_finite(x)
    lo, hi = min(float(arr.min()), 0.0), max(float(arr.max()), 0.0)
    if hi == lo:
        return AffineParams(scale=1.0, zero_point=0)
    scale = (hi - lo) / (QMAX - QMIN)
    zero_point = int(np.clip(QMIN - round(lo / scale), QMIN, QMAX))
    return AffineParams(scale=scale, zero_point=zero_point)


def quantize_affine(x: ArrayLike, params: AffineParams) -> NDArray[np.int8]:
    arr = _as_finite(x)
    codes = np.round(arr / np.float32(params.scale)) + params.zero_point
    out: NDArray[np.int8] = np.clip(codes, QMIN, QMAX).astype(np.int8)
    return out


def dequantize_affine(q: NDArray[np.int8], params: AffineParams) -> NDArray[np.float32]:
    return (q.astype(np.float32) - np.float32(params.zero_point)) * np.float32(params.scale)


@dataclass(frozen=True)
class QuantReport:
    """How much a round trip cost: absolute, relative and angular error, and how many codes were used."""

    scheme: str
    scale: float
    zero_point: int
    mae: float
    max_abs_error: float
    mean_rel_error: float  # over entries with |x| > 1e-8
    cosine_similarity: float
    codes_used: int  # distinct int8 values out of 256

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def int8_round_trip(
    x: ArrayLike, scheme: Scheme = "symmetric"
) -> tuple[NDArray[np.float32], QuantReport]:
    """Quantise `x` to int8 and back; return the reconstruction and what the trip cost."""
    arr = _as_finite(x)
    if scheme == "symmetric":
        scale, zero = symmetric_scale(arr), 0
        q = quantize_symmetric(arr, scale)
        back = dequantize_symmetric(q, scale)
    elif scheme == "affine":
        params = affine_params(arr)
        scale, zero = params.scale, params.zero_point
        q = quantize_affine(arr, params)
        back = dequantize_affine(q, params)
    else:
        raise ValueError(f"scheme must be 'symmetric' or 'affine', got {scheme!r}")
    err = np.abs(back.astype(np.float64) - arr.astype(np.float64))
    mask = np.abs(arr) > 1e-8
    rel = float(np.mean(err[mask] / np.abs(arr[mask]))) if mask.any() else 0.0
    a64, b64 = arr.astype(np.float64).ravel(), back.astype(np.float64).ravel()
    denom = float(np.linalg.norm(a64) * np.linalg.norm(b64))
    cos = float(a64 @ b64 / denom) if denom > 0 else 1.0
    report = QuantReport(
        scheme=scheme,
        scale=float(scale),
        zero_point=zero,
        mae=float(err.mean()),
        max_abs_error=float(err.max()),
        mean_rel_error=rel,
        cosine_similarity=cos,
        codes_used=int(np.unique(q).size),
    )
    return back, report


__all__ = [
    "AffineParams",
    "QuantReport",
    "affine_params",
    "dequantize_affine",
    "dequantize_symmetric",
    "int8_round_trip",
    "quantize_affine",
    "quantize_symmetric",
    "symmetric_scale",
]
