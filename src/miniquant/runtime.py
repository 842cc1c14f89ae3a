"""Quantised weights inside `minimodel.infer.FastMiniGPT`: calibration probes and on-the-fly runners.

`FastMiniGPT` multiplies activations by its matrices with `a @ W` (W stored (in, out)). An object that sets
`__array_ufunc__ = None` makes NumPy hand `a @ obj` over to `obj.__rmatmul__(a)`, so a matrix can be swapped
for anything that behaves like one — without touching the fast path's code:

- `_Probe` records the Gram matrix XᵀX of what flows into the matrix, then multiplies by the float weight:
  one forward over calibration text gives every layer's GPTQ Hessian H = 2 XᵀX;
- `_OnTheFly` keeps the weights quantised and expands (or int8-multiplies) them at every call: the
  runner decodes from quantised storage, which is what the decode-speed column of the Pareto lab times.

The fused [W_q | W_k | W_v] matrix of a layer is three quantised matrices whose outputs are concatenated.
The swap reads `FastMiniGPT`'s per-layer record (`_layers`: a frozen dataclass per block), the one private
detail this module relies on; the tests compare its logits with the dequantised model's to catch a drift.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import MiniGPT
from miniquant.kernels import Weight, dequant_matmul, int8_matmul
from miniquant.model import QuantizedModel
from miniquant.quantize import QuantizedTensor

# FastMiniGPT layer field → the parameter names whose (out, in) matrices make it up, in column order
_FIELDS: dict[str, tuple[str, ...]] = {
    "w_qkv": ("attn.w_q", "attn.w_k", "attn.w_v"),
    "w_o": ("attn.w_o",),
    "w1": ("ffn.fc1.weight",),
    "w2": ("ffn.fc2.weight",),
}


class _Matrix:
    """Stands where FastMiniGPT expects an (in, out) array; NumPy defers `a @ self` to `__rmatmul__`."""

    __array_ufunc__ = None

    def __rmatmul__(self, a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        raise NotImplementedError


class _Probe(_Matrix):
    def __init__(self, weight: npt.NDArray[Any]) -> None:
        self.weight = weight  # (in, out)
        self.gram = np.zeros((weight.shape[0], weight.shape[0]))  # (in, in) float64
        self.rows = 0

    def __rmatmul__(self, a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        x = a.reshape(-1, a.shape[-1]).astype(np.float64)  # (N, in)
        self.gram += x.T @ x
        self.rows += x.shape[0]
        out: npt.NDArray[Any] = a @ self.weight
        return out


class _OnTheFly(_Matrix):
    def __init__(self, parts: Sequence[Weight | npt.NDArray[np.float16]], int8: bool) -> None:
        self.parts = list(parts)
        self.int8 = int8

    def _one(
        self, x: npt.NDArray[Any], part: Weight | npt.NDArray[np.float16]
    ) -> npt.NDArray[np.float32]:
        if self.int8 and isinstance(part, QuantizedTensor):
            return int8_matmul(x, part)
        return dequant_matmul(x, part)

    def __rmatmul__(self, a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        x = a.reshape(-1, a.shape[-1])  # (N, in)
        outs = [self._one(x, part) for part in self.parts]  # each (N, out_part)
        y = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=-1)
        return y.reshape(*a.shape[:-1], -1).astype(a.dtype, copy=False)


def _swap(fast: FastMiniGPT, make: Callable[[int, str, Any], Any]) -> FastMiniGPT:
    """Replace every layer matrix `field` of block `index` by `make(index, field, current)`."""
    layers = []
    for index, layer in enumerate(fast._layers):
        changes = {f: make(index, f, getattr(layer, f)) for f in _FIELDS}
        layers.append(dataclasses.replace(layer, **changes))
    fast._layers = layers
    return fast


def calibration_hessians(
    model: MiniGPT, batches: Iterable[npt.ArrayLike]
) -> dict[str, npt.NDArray[np.float64]]:
    """GPTQ Hessians H = 2 XᵀX of every block matrix's inputs, over forwards of `batches` (B, T) ids.

    Matrices that read the same input (W_q, W_k, W_v) share one H. Inputs come from the float model: every
    layer is calibrated on unquantised activations (a documented simplification of the paper's sequential
    pass, which feeds each layer the outputs of the already-quantised ones).
    """
    probes: dict[tuple[int, str], _Probe] = {}

    def make(index: int, name: str, weight: Any) -> _Probe:
        probes[index, name] = _Probe(weight)
        return probes[index, name]

    fast = _swap(FastMiniGPT(model), make)
    for ids in batches:
        fast(np.asarray(ids))
    out = {}
    for (index, name), probe in probes.items():
        if probe.rows == 0:
            raise ValueError("calibration_hessians needs at least one batch of ids")
        for param in _FIELDS[name]:
            out[f"blocks.{index}.{param}"] = 2.0 * probe.gram
    return out


def quantized_runner(qm: QuantizedModel, *, int8: bool = False) -> FastMiniGPT:
    """A FastMiniGPT that decodes from the stored weights (quantised, or float16), expanding them at every
    matrix product (or, with `int8`, running W8A8 on INT8 per-channel/per-tensor weights)."""
    weights = qm.matrices()
    fast = FastMiniGPT(qm.to_model())  # norms, biases, embedding: the stored float values

    def make(index: int, name: str, current: Any) -> Any:
        keys = [f"blocks.{index}.{param}" for param in _FIELDS[name]]
        if not all(k in weights for k in keys):
            return current
        return _OnTheFly([weights[k] for k in keys], int8)

    return _swap(fast, make)


__all__ = ["calibration_hessians", "quantized_runner"]
