"""`QuantizedLinear` for minigrad: a drop-in `Linear` whose weight is stored quantised.

It keeps codes and float16 scales (`QuantizedTensor`, or NF4 indices) and expands the weight in `forward`,
each call, so memory holds the small form; the bias stays float32 (a few hundred numbers, and adding a
rounded bias would shift every output). `int8=True` takes the W8A8 path of `miniquant.kernels` instead
(no gradient: integer rounding has none). The dequantising path is an ordinary graph node, so gradients
still reach the input: a quantised layer can sit inside a model that trains its other parts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.fused import linear
from minigrad.nn import Linear, Module
from minigrad.nn.module import Parameter
from minigrad.tensor import Tensor
from miniquant.kernels import Weight, int8_matmul
from miniquant.nf4 import NF4Tensor, nf4_block, quantize_nf4
from miniquant.quantize import QuantizedTensor, QuantSpec, quantize


class QuantizedLinear(Module):
    """y = x Ŵᵀ + b with Ŵ dequantised on the fly from `weight` (out, in)."""

    def __init__(self, weight: Weight, bias: Any = None, *, int8: bool = False) -> None:
        super().__init__()
        if int8 and not isinstance(weight, QuantizedTensor):
            raise ValueError("the int8 path needs an integer QuantizedTensor, not NF4")
        self.qweight = weight
        self.out_features, self.in_features = weight.shape
        self.bias = None if bias is None else Parameter(np.asarray(bias, dtype=np.float32))
        self.int8 = int8

    @classmethod
    def from_linear(
        cls, layer: Linear, spec: QuantSpec | str, *, int8: bool = False
    ) -> QuantizedLinear:
        """Quantise an existing `Linear` (spec "nf4" for NF4 blocks of 64, or of a whole row if shorter)."""
        w = layer.weight.data
        if isinstance(spec, str):
            if spec != "nf4":
                raise ValueError(f"spec must be a QuantSpec or 'nf4', got {spec!r}")
            qw: Weight = quantize_nf4(w, nf4_block(w.shape[1]))
        else:
            qw = quantize(w, spec)
        bias = None if layer.bias is None else layer.bias.data
        return cls(qw, bias, int8=int8)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"QuantizedLinear({self.in_features}, {self.out_features}) got input of shape {x.shape}"
            )
        if self.int8 and isinstance(self.qweight, QuantizedTensor):
            rows = x.data.reshape(-1, self.in_features)  # (N, in)
            y = int8_matmul(rows, self.qweight)  # (N, out)
            if self.bias is not None:
                y += self.bias.data
            return Tensor(y.reshape(*x.shape[:-1], self.out_features).astype(x.dtype))
        w = Tensor(self.qweight.dequantize())  # (out, in), a constant of this call only
        return linear(x, w, self.bias)

    @property
    def nbytes(self) -> int:
        bias = 0 if self.bias is None else 4 * self.out_features
        return self.qweight.nbytes + bias

    def extra_repr(self) -> str:
        kind = "nf4" if isinstance(self.qweight, NF4Tensor) else self.qweight.spec.label
        return f"in_features={self.in_features}, out_features={self.out_features}, {kind}, int8={self.int8}"


__all__ = ["QuantizedLinear"]
