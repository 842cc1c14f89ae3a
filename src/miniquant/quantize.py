"""Round-to-nearest (RTN) integer quantisation of weight matrices: per tensor, per channel, per group.

Every scheme is the same map `x ≈ s · (q − z)` applied to a different block of the matrix: the whole tensor
(one scale), one output row (one scale per channel), or `g` consecutive inputs of one row (one scale per
group). So there is one implementation: view the (out, in) matrix as (rows, groups, width) and find a scale
per (row, group) along the last axis. Finer blocks cost more scales but let each block use its own range,
which is why one outlier ruins a per-tensor scale and only its own group under per-group.

- symmetric: z = 0, s = max|x| / qmax with qmax = 2^(b−1) − 1 (INT8 codes in [−127, 127], INT4 in [−7, 7]:
  the most negative code is left unused so the grid is symmetric around zero);
- asymmetric: codes in [0, 2^b − 1] spread over [min(x, 0), max(x, 0)], z = round(−lo / s) (zero stays
  exactly representable, as in `minigrad.int8.affine_params`).

Scales are stored as float16 (what a file stores) and rounded *up* to the next float16, so the largest weight
of a block never lands past the last code: every weight's error stays within s / 2 (the tests hold it there).
Rounding is NumPy's round-half-to-even. Weights are float32 (out, in): `Linear` layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Granularity = Literal["tensor", "channel", "group"]
GRANULARITIES: tuple[Granularity, ...] = ("tensor", "channel", "group")
F16_TINY = float(np.finfo(np.float16).smallest_subnormal)
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class QuantSpec:
    """How to quantise a matrix: bit width, block shape, and whether the grid is centred on zero."""

    bits: int = 8
    granularity: Granularity = "channel"
    group_size: int = 0  # the width of a group along the input axis; used only by "group"
    symmetric: bool = True

    def __post_init__(self) -> None:
        if not 2 <= self.bits <= 8:
            raise ValueError(f"bits must be between 2 and 8, got {self.bits}")
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"granularity must be one of {GRANULARITIES}, got {self.granularity!r}"
            )
        if self.granularity == "group" and self.group_size < 1:
            raise ValueError(
                f"per-group quantisation needs a group_size >= 1, got {self.group_size}"
            )

    @property
    def qmin(self) -> int:
        return -((1 << (self.bits - 1)) - 1) if self.symmetric else 0

    @property
    def qmax(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.symmetric else (1 << self.bits) - 1

    def width(self, shape: tuple[int, int]) -> int:
        """How many consecutive inputs of a row share one scale."""
        out, inp = shape
        if self.granularity == "tensor":
            return out * inp
        if self.granularity == "channel":
            return inp
        if inp % self.group_size:
            raise ValueError(
                f"group_size {self.group_size} does not divide the {inp} inputs of a {shape} matrix"
            )
        return self.group_size

    @property
    def label(self) -> str:
        kind = {"tensor": "per-tensor", "channel": "per-channel"}.get(
            self.granularity, f"g{self.group_size}"
        )
        return f"int{self.bits}-{kind}{'' if self.symmetric else '-asym'}"


@dataclass(frozen=True)
class QuantizedTensor:
    """A quantised (out, in) matrix: integer codes, a float16 scale (and zero point) per block."""

    codes: npt.NDArray[np.int16]  # (out, in), values in [spec.qmin, spec.qmax]
    scales: npt.NDArray[np.float16]  # (R, G): R row blocks × G groups per row block
    zeros: npt.NDArray[np.int16] | None  # (R, G) zero points, asymmetric only
    spec: QuantSpec

    @property
    def shape(self) -> tuple[int, int]:
        out, inp = self.codes.shape
        return int(out), int(inp)

    def blocks(self) -> tuple[int, int, int]:
        """(R, G, W): the codes viewed as R row blocks of G groups of W values."""
        rows, groups = self.scales.shape
        return int(rows), int(groups), self.codes.size // (rows * groups)

    def dequantize(self) -> F32:
        """s · (q − z) as a float32 (out, in) matrix."""
        rows, groups, width = self.blocks()
        q = self.codes.reshape(rows, groups, width).astype(np.float32)  # (R, G, W)
        if self.zeros is not None:
            q -= self.zeros[..., None]
        out: F32 = (q * self.scales.astype(np.float32)[..., None]).reshape(self.shape)
        return out

    @property
    def nbytes(self) -> int:
        """Bytes a packed file needs: b bits per code, 2 per float16 scale, 1 per zero point."""
        code_bytes = -(-self.codes.size * self.spec.bits // 8)
        zero_bytes = 0 if self.zeros is None else self.zeros.size
        return code_bytes + 2 * self.scales.size + zero_bytes


def fp16_round_up(scale: F32) -> npt.NDArray[np.float16]:
    """float16 scales never below the float32 ones (so max|x| / s never exceeds qmax), never zero."""
    half = np.ascontiguousarray(np.maximum(scale, np.float32(F16_TINY)), dtype=np.float16)
    low = half.astype(np.float32) < scale
    half[low] = np.nextafter(half[low], np.float16(np.inf))
    return half


def _as_matrix(weight: npt.ArrayLike) -> F32:
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 2 or w.size == 0:
        raise ValueError(f"quantisation takes a non-empty (out, in) matrix, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("cannot quantise non-finite weights (inf or NaN found)")
    return w


def block_view(w: F32, spec: QuantSpec) -> F32:
    """(out, in) → (R, G, W), the blocks that share a scale (a view when possible)."""
    out, inp = w.shape
    width = spec.width((out, inp))
    rows = 1 if spec.granularity == "tensor" else out
    return w.reshape(rows, -1, width)


def scales_for(
    w: F32, spec: QuantSpec
) -> tuple[npt.NDArray[np.float16], npt.NDArray[np.int16] | None]:
    """The float16 scale (and zero point) of every block of (R, G, W) weights `w`."""
    if spec.symmetric:
        peak = np.abs(w).max(axis=-1)  # (R, G)
        scale = np.where(peak > 0, peak / np.float32(spec.qmax), np.float32(1.0))
        return fp16_round_up(scale.astype(np.float32)), None
    lo = np.minimum(w.min(axis=-1), 0.0)  # (R, G)
    hi = np.maximum(w.max(axis=-1), 0.0)
    span = hi - lo
    scale16 = fp16_round_up(
        np.where(span > 0, span / np.float32(spec.qmax), 1.0).astype(np.float32)
    )
    zero = np.ascontiguousarray(
        np.clip(np.round(-lo / scale16.astype(np.float32)), 0, spec.qmax), dtype=np.int16
    )
    return scale16, zero


def round_to_grid(
    w: F32, scales: npt.NDArray[np.float16], zeros: npt.NDArray[np.int16] | None, spec: QuantSpec
) -> npt.NDArray[np.int16]:
    """Codes of the (R, G, W) weights `w` on the grid given by (R, G) scales and zero points."""
    q = np.round(w / scales.astype(np.float32)[..., None])  # (R, G, W)
    if zeros is not None:
        q += zeros[..., None]
    codes: npt.NDArray[np.int16] = np.clip(q, spec.qmin, spec.qmax).astype(np.int16)
    return codes


def quantize(weight: npt.ArrayLike, spec: QuantSpec) -> QuantizedTensor:
    """Round-to-nearest quantisation of an (out, in) matrix under `spec`."""
    w = _as_matrix(weight)
    blocks = block_view(w, spec)  # (R, G, W)
    scales, zeros = scales_for(blocks, spec)
    codes = np.ascontiguousarray(round_to_grid(blocks, scales, zeros, spec).reshape(w.shape))
    return QuantizedTensor(codes=codes, scales=scales, zeros=zeros, spec=spec)


def per_tensor(weight: npt.ArrayLike, bits: int = 8, *, symmetric: bool = True) -> QuantizedTensor:
    return quantize(weight, QuantSpec(bits, "tensor", symmetric=symmetric))


def per_channel(weight: npt.ArrayLike, bits: int = 8, *, symmetric: bool = True) -> QuantizedTensor:
    return quantize(weight, QuantSpec(bits, "channel", symmetric=symmetric))


def per_group(
    weight: npt.ArrayLike, bits: int = 4, group_size: int = 64, *, symmetric: bool = True
) -> QuantizedTensor:
    return quantize(weight, QuantSpec(bits, "group", group_size, symmetric))


__all__ = [
    "GRANULARITIES",
    "Granularity",
    "QuantSpec",
    "QuantizedTensor",
    "block_view",
    "fp16_round_up",
    "per_channel",
    "per_group",
    "per_tensor",
    "quantize",
    "round_to_grid",
    "scales_for",
]
