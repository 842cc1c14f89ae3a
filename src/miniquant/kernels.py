"""The two ways a quantised weight multiplies activations on a CPU without special kernels.

- `dequant_matmul`: weight-only quantisation. The weight lives in memory as codes and scales and is expanded
  to float32 right before the product, every call (caching the float copy would give back the memory and
  make the "quantised" model an FP32 one). Activations stay float32.
- `int8_matmul`: W8A8. Each activation row is quantised on the fly to int8 with its own scale
  (dynamic, symmetric, per token), the product of codes is accumulated in int32 — exact, no rounding
  inside the dot product — and rescaled once: y = s_x · s_w · (q_x · q_wᵀ). Needs a symmetric INT8
  per-channel or per-tensor weight (one scale per output, so the rescale factors out of the sum).
  NumPy has no int8 GEMM, so this path shows the arithmetic, not a speed-up; `torch._int_mm` has one.

Both take x (N, in) and return (N, out), the `Linear` convention y = x Wᵀ.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from miniquant.nf4 import NF4Tensor
from miniquant.quantize import F32, QuantizedTensor

Weight = QuantizedTensor | NF4Tensor


def dequant_matmul(x: npt.ArrayLike, weight: Weight | npt.NDArray[np.float16]) -> F32:
    """x (N, in) @ dequantised(weight)ᵀ → (N, out), the weight expanded for this call only (a float16
    (out, in) array is upcast the same way: NumPy has no fast float16 product)."""
    w = (
        weight.astype(np.float32) if isinstance(weight, np.ndarray) else weight.dequantize()
    )  # (out, in)
    y: F32 = np.asarray(x, dtype=np.float32) @ w.T  # (N, out)
    return y


def quantize_rows(x: npt.ArrayLike) -> tuple[npt.NDArray[np.int32], F32]:
    """Dynamic symmetric int8 per row: codes (N, in) in [−127, 127] and scales (N, 1) = max|row| / 127."""
    xs = np.asarray(x, dtype=np.float32)
    peak = np.abs(xs).max(axis=-1, keepdims=True)  # (N, 1)
    scale: F32 = np.where(peak > 0, peak / np.float32(127), np.float32(1)).astype(np.float32)
    codes = np.clip(np.round(xs / scale), -127, 127).astype(np.int32)  # (N, in)
    return codes, scale


def int8_matmul(x: npt.ArrayLike, weight: QuantizedTensor) -> F32:
    """W8A8 product with int32 accumulation; see the module docstring."""
    spec = weight.spec
    if spec.bits != 8 or not spec.symmetric or spec.granularity == "group":
        raise ValueError(
            f"the int8 path needs a symmetric INT8 per-channel/per-tensor weight, got {spec.label}"
        )
    qx, sx = quantize_rows(x)  # (N, in), (N, 1)
    acc = qx @ weight.codes.astype(np.int32).T  # (N, out) int32, exact
    sw = weight.scales.astype(np.float32).reshape(1, -1)  # (1, out) or (1, 1)
    y: F32 = acc.astype(np.float32) * sx * sw  # (N, out)
    return y


__all__ = ["Weight", "dequant_matmul", "int8_matmul", "quantize_rows"]
