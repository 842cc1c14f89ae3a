"""`QuantizedLinear` for the torch port (`minimodel.torch_minigpt`): the same storage, torch arithmetic.

The weight is held as int8 codes and float32 scales (buffers, so `.to()` and `state_dict` carry them) and
expanded in `forward` — weight-only quantisation, dequantised on the fly. With `int8=True` the product runs
as W8A8 on `torch._int_mm` (int8 × int8 → int32, a real integer GEMM on CPU), rows of x quantised
dynamically exactly as `miniquant.kernels.quantize_rows` does, so both ports compute the same numbers.
torch is optional: importing this module needs it (tests `importorskip` it).
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from miniquant.quantize import QuantizedTensor, QuantSpec, quantize

torch: Any = importlib.import_module("torch")
nn: Any = torch.nn


class TorchQuantizedLinear(nn.Module):  # type: ignore[misc]
    """y = x Ŵᵀ + b, Ŵ = s · q expanded per call (or the int8 GEMM path)."""

    def __init__(self, weight: QuantizedTensor, bias: Any = None, *, int8: bool = False) -> None:
        super().__init__()
        if weight.zeros is not None or weight.spec.bits > 8:
            raise ValueError("TorchQuantizedLinear stores symmetric codes of at most 8 bits")
        if int8 and (weight.spec.bits != 8 or weight.spec.granularity == "group"):
            raise ValueError(
                f"the int8 path needs INT8 per-channel/per-tensor, got {weight.spec.label}"
            )
        rows, groups, width = weight.blocks()
        self.out_features, self.in_features = weight.shape
        self.blocks = (rows, groups, width)
        self.int8 = int8
        self.register_buffer("codes", torch.from_numpy(weight.codes.astype(np.int8)))  # (out, in)
        self.register_buffer("scales", torch.from_numpy(weight.scales.astype(np.float32)))  # (R, G)
        self.bias = (
            None if bias is None else nn.Parameter(torch.as_tensor(np.asarray(bias)).float())
        )

    @classmethod
    def from_linear(
        cls, layer: Any, spec: QuantSpec, *, int8: bool = False
    ) -> TorchQuantizedLinear:
        qw = quantize(layer.weight.detach().cpu().numpy(), spec)
        bias = None if layer.bias is None else layer.bias.detach().cpu().numpy()
        return cls(qw, bias, int8=int8)

    def dequantized(self) -> Any:
        rows, groups, width = self.blocks
        q = self.codes.view(rows, groups, width).float()  # (R, G, W)
        return (q * self.scales[..., None]).view(self.out_features, self.in_features)  # (out, in)

    def forward(self, x: Any) -> Any:
        if not self.int8:
            return nn.functional.linear(x, self.dequantized().to(x.dtype), self.bias)
        lead = x.shape[:-1]
        rows = x.reshape(-1, self.in_features).float()  # (N, in)
        peak = rows.abs().amax(dim=-1, keepdim=True)  # (N, 1)
        sx = torch.where(peak > 0, peak / 127.0, torch.ones_like(peak))
        qx = torch.clamp(torch.round(rows / sx), -127, 127).to(torch.int8)  # (N, in)
        acc = torch._int_mm(qx, self.codes.t().contiguous())  # (N, out) int32
        y = acc.float() * sx * self.scales.reshape(1, -1)  # (N, out)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*lead, self.out_features).to(x.dtype)


def quantize_torch_ffn(model: Any, spec: QuantSpec, *, int8: bool = False) -> Any:
    """Swap every feed-forward `nn.Linear` of a `GrammarMiniGPT` for a `TorchQuantizedLinear`, in place."""
    for block in model.blocks:
        block.ffn.fc1 = TorchQuantizedLinear.from_linear(block.ffn.fc1, spec, int8=int8)
        block.ffn.fc2 = TorchQuantizedLinear.from_linear(block.ffn.fc2, spec, int8=int8)
    return model


__all__ = ["TorchQuantizedLinear", "quantize_torch_ffn"]
