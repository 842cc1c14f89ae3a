"""Phase 28: a QLoRA preview — the frozen base stored as 4-bit NormalFloat (NF4), the adapters in float.

NF4 (Dettmers et al. 2023) has 16 levels placed at the quantiles of a standard normal, rescaled to [-1, 1],
with an exact 0: trained weights are roughly normal, so equal-probability bins waste fewer codes than the
evenly spaced levels of int4. Each block of 64 weights is divided by its absolute maximum (kept in float32)
and every weight becomes the index of the nearest level: 4 bits per weight plus 32 bits per 64 weights,
0.5625 bytes instead of 4.

QLoRA trains adapters on top of that frozen 4-bit base; the base is dequantised on the fly for each
product, so the arithmetic is ordinary float and only storage shrinks. This preview does exactly that,
without a packed-int4 kernel: `quantize_base` replaces each projection of the base by its NF4 round trip
(what the dequantiser would hand the matmul) and reports the bytes the packed form needs.

The quantiser is local on purpose: `minituner` may not import `miniquant` (the same layer), and phase 26's
NF4 is being written in parallel. Once both exist, the shared quantiser belongs in one place (DECISIONS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from minimodel.mini_gpt import MiniGPT
from minituner.lora import ATTENTION_TARGETS, adapted_modules, blocks

Array = npt.NDArray[Any]

#: The 16 NF4 levels of the QLoRA paper (bitsandbytes' table), ascending, with an exact 0 at index 7.
NF4_LEVELS = np.array(
    [
        -1.0,
        -0.6961928009986877,
        -0.5250730514526367,
        -0.39491748809814453,
        -0.28444138169288635,
        -0.18477343022823334,
        -0.09105003625154495,
        0.0,
        0.07958029955625534,
        0.16093020141124725,
        0.24611230194568634,
        0.33791524171829224,
        0.44070982933044434,
        0.5626170039176941,
        0.7229568362236023,
        1.0,
    ],
    dtype=np.float32,
)
BLOCK = 64


def nf4_quantize(weights: Array, block: int = BLOCK) -> tuple[npt.NDArray[np.uint8], Array]:
    """Codes (one 0..15 per weight, flattened, padded to whole blocks) and one float32 absmax per block."""
    flat = np.asarray(weights, dtype=np.float32).ravel()
    pad = (-flat.size) % block
    blocks_ = np.concatenate([flat, np.zeros(pad, np.float32)]).reshape(-1, block)  # (nb, block)
    absmax = np.abs(blocks_).max(axis=1)  # (nb,)
    scale = np.where(absmax > 0, absmax, 1.0).astype(np.float32)
    normed = blocks_ / scale[:, None]  # (nb, block) in [-1, 1]
    # nearest level: the midpoints between consecutive levels are the decision boundaries
    mids = (NF4_LEVELS[1:] + NF4_LEVELS[:-1]) / 2  # (15,)
    codes = np.searchsorted(mids, normed).astype(np.uint8)  # (nb, block)
    return codes.ravel(), absmax.astype(np.float32)


def nf4_dequantize(
    codes: npt.NDArray[np.uint8], absmax: Array, shape: tuple[int, ...], block: int = BLOCK
) -> Array:
    values = NF4_LEVELS[codes].reshape(-1, block) * absmax[:, None]  # (nb, block)
    size = int(np.prod(shape))
    out: Array = values.ravel()[:size].reshape(shape)
    return out


def nf4_round_trip(weights: Array, block: int = BLOCK) -> Array:
    codes, absmax = nf4_quantize(weights, block)
    return nf4_dequantize(codes, absmax, np.shape(weights), block).astype(np.asarray(weights).dtype)


def nf4_bytes(n_weights: int, block: int = BLOCK) -> int:
    """Packed storage: two 4-bit codes per byte, plus a float32 absmax per block."""
    blocks_ = -(-n_weights // block)
    return -(-n_weights // 2) + 4 * blocks_


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


def quantize_base(model: MiniGPT, block: int = BLOCK) -> QuantReport:
    """Replace every projection of a bare model by its NF4 round trip, in place (before adding adapters:
    QLoRA's adapters learn against the quantised base they will run with)."""
    if any(True for _ in adapted_modules(model)):
        raise ValueError(
            "quantize the base before adding adapters (QLoRA trains on the 4-bit base)"
        )
    total = float_bytes = packed = 0
    errors: list[Array] = []
    for param in projection_weights(model):
        rounded = nf4_round_trip(param.data, block)
        errors.append(np.abs(rounded - param.data).ravel())
        total += param.size
        float_bytes += param.data.nbytes
        packed += nf4_bytes(param.size, block)
        param.data = rounded
    err = np.concatenate(errors)
    return QuantReport(total, float_bytes, packed, float(err.max()), float(err.mean()))


__all__ = [
    "BLOCK",
    "NF4_LEVELS",
    "QuantReport",
    "nf4_bytes",
    "nf4_dequantize",
    "nf4_quantize",
    "nf4_round_trip",
    "projection_weights",
    "quantize_base",
]
