"""NF4: 4-bit codes that index 16 quantiles of a normal distribution instead of a uniform grid.

Trained weights are roughly normal, so a uniform grid spends codes on the tails where few weights live.
NF4 (QLoRA, Dettmers et al. 2023) places its 16 values so that, for N(0, 1) data scaled by the block's absmax,
each code is about equally likely, with an exact zero: 8 positive quantiles, 7 negative ones and 0, scaled
so ±1 are the ends. The table below is the one bitsandbytes ships; the tests rebuild it from
`scipy.stats.norm.ppf` (offset 0.9677) to show where it comes from. A block of 64 consecutive weights of a
row shares one absmax scale (float16 here, rounded up so |w / s| ≤ 1); a weight is stored as the index of
the nearest table value. Double quantisation of the scales is not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from miniquant.quantize import F32, QuantSpec, block_view, fp16_round_up

NF4_CODE: F32 = np.array(
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
NF4_BLOCK = 64
_MIDPOINTS = (NF4_CODE[1:] + NF4_CODE[:-1]) / 2  # (15,) decision boundaries between neighbours


@dataclass(frozen=True)
class NF4Tensor:
    """An (out, in) matrix as NF4 indices and one float16 absmax per block of `block` inputs."""

    indices: npt.NDArray[np.uint8]  # (out, in) in 0..15
    scales: npt.NDArray[np.float16]  # (out, in / block)
    block: int

    @property
    def shape(self) -> tuple[int, int]:
        out, inp = self.indices.shape
        return int(out), int(inp)

    def dequantize(self) -> F32:
        out, inp = self.shape
        values = NF4_CODE[self.indices].reshape(out, -1, self.block)  # (out, G, block)
        deq: F32 = (values * self.scales.astype(np.float32)[..., None]).reshape(out, inp)
        return deq

    @property
    def nbytes(self) -> int:
        return -(-self.indices.size // 2) + 2 * self.scales.size


def nf4_block(inputs: int) -> int:
    """Blocks of 64 when they tile a row of `inputs`, else one block per row (small layers)."""
    return NF4_BLOCK if inputs % NF4_BLOCK == 0 else inputs


def nearest_code(x: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Index of the NF4 value nearest to each x (x already scaled into [−1, 1])."""
    idx: npt.NDArray[np.uint8] = np.searchsorted(
        _MIDPOINTS, np.asarray(x, dtype=np.float32)
    ).astype(np.uint8)
    return idx


def quantize_nf4(weight: npt.ArrayLike, block: int = NF4_BLOCK) -> NF4Tensor:
    """NF4 codes of an (out, in) matrix, one absmax scale per `block` consecutive inputs of a row."""
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 2 or not np.all(np.isfinite(w)):
        raise ValueError(f"NF4 takes a finite (out, in) matrix, got shape {w.shape}")
    blocks = block_view(w, QuantSpec(granularity="group", group_size=block))  # (out, G, block)
    absmax = np.abs(blocks).max(axis=-1)  # (out, G)
    scales = fp16_round_up(np.where(absmax > 0, absmax, 1.0).astype(np.float32))
    scaled = blocks / scales.astype(np.float32)[..., None]  # (out, G, block) in [−1, 1]
    return NF4Tensor(indices=nearest_code(scaled).reshape(w.shape), scales=scales, block=block)


__all__ = ["NF4_BLOCK", "NF4_CODE", "NF4Tensor", "nearest_code", "nf4_block", "quantize_nf4"]
