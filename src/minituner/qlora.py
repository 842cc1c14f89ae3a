"""Phase 28: a QLoRA preview — the frozen base stored as 4-bit NormalFloat (NF4), the adapters in float.

NF4 (Dettmers et al. 2023) has 16 levels placed at the quantiles of a standard normal, rescaled to [-1, 1],
with an exact 0: trained weights are roughly normal, so equal-probability bins waste fewer codes than the
evenly spaced levels of int4. Each block of 64 weights is divided by its absolute maximum (kept in float16)
and every weight becomes the index of the nearest level: 4 bits per weight plus 16 bits per 64 weights,
0.53125 bytes instead of 4.

QLoRA trains adapters on top of that frozen 4-bit base; the base is dequantised on the fly for each
product, so the arithmetic is ordinary float and only storage shrinks. This preview does exactly that,
without a packed-int4 kernel: `quantize_base` replaces each projection of the base by its NF4 round trip
(what the dequantiser would hand the matmul) and reports the bytes the packed form needs.

The quantiser is phase 26's (`miniquant.nf4`): one NF4 in the project, tested there against the paper's table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from minimodel.mini_gpt import MiniGPT
from miniquant.nf4 import nf4_block, quantize_nf4
from minituner.lora import ATTENTION_TARGETS, adapted_modules, blocks

Array = npt.NDArray[Any]


def nf4_round_trip(weights: Array) -> Array:
    """What the dequantiser hands the matmul for an (in, out) projection: `miniquant`'s NF4 (blocks of 64
    along each output's inputs, a float16 absmax per block) there and back."""
    w = np.asarray(weights, dtype=np.float32)
    packed = quantize_nf4(w.T, nf4_block(w.shape[0]))  # (out, in): blocks run along the inputs
    back: Array = packed.dequantize().T.astype(np.asarray(weights).dtype)
    return back


def nf4_bytes(weights: Array) -> int:
    """Packed storage of a projection: two 4-bit codes per byte plus its float16 scales."""
    w = np.asarray(weights, dtype=np.float32)
    return quantize_nf4(w.T, nf4_block(w.shape[0])).nbytes


@dataclass(frozen=True)
class QuantReport:
    """What quantising the base did: how many weights, their bytes before and after, the worst error."""

    weights: int
    float_bytes: int
    nf4_bytes: int
    max_abs_error: float
    mean_abs_error: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "weights": self.weights,
            "float_bytes": self.float_bytes,
            "nf4_bytes": self.nf4_bytes,
            "ratio": self.nf4_bytes / self.float_bytes,
            "max_abs_error": self.max_abs_error,
            "mean_abs_error": self.mean_abs_error,
        }


def projection_weights(model: MiniGPT) -> list[Any]:
    """The projection Parameters of every block (attention matrices and FFN weights), wrapped or not."""
    found = []
    for block in blocks(model):
        attn: Any = block.attn
        base_attn = getattr(attn, "base", attn)
        found += [getattr(base_attn, f"w_{t}") for t in ATTENTION_TARGETS]
        for name in ("fc1", "fc2"):
            layer: Any = getattr(block.ffn, name)
            found.append(getattr(layer, "base", layer).weight)
    return found


def quantize_base(model: MiniGPT) -> QuantReport:
    """Replace every projection of a bare model by its NF4 round trip, in place (before adding adapters:
    QLoRA's adapters learn against the quantised base they will run with)."""
    if any(True for _ in adapted_modules(model)):
        raise ValueError(
            "quantize the base before adding adapters (QLoRA trains on the 4-bit base)"
        )
    total = float_bytes = packed = 0
    errors: list[Array] = []
    for param in projection_weights(model):
        rounded = nf4_round_trip(param.data)
        errors.append(np.abs(rounded - param.data).ravel())
        total += param.size
        float_bytes += param.data.nbytes
        packed += nf4_bytes(param.data)
        param.data = rounded
    err = np.concatenate(errors)
    return QuantReport(total, float_bytes, packed, float(err.max()), float(err.mean()))


__all__ = [
    "QuantReport",
    "nf4_bytes",
    "nf4_round_trip",
    "projection_weights",
    "quantize_base",
]
