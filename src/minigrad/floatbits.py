"""IEEE-754 float32 and bfloat16 taken apart bit by bit, with `struct` and shifts; then the same on arrays.

Decoding by hand is how phase 02 makes rounding concrete: 1/600, the uniform probability over the §A13
vocabulary, is stored as 0x3ADA740E (sign 0, biased exponent 117, mantissa 5927950), which is not exactly
1/600. The scalar functions use no NumPy, so the layout is visible in the code. `round_bf16` and
`round_fp16` do the same rounding to whole float32 arrays (phase 18's mixed-precision preview rounds every
weight and activation of a model with them); tests hold them to the scalar functions and to torch's casts.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FP32_BIAS = 127
FP32_MANTISSA_BITS = 23
_MANTISSA_MASK = (1 << FP32_MANTISSA_BITS) - 1


@dataclass(frozen=True)
class Float32Parts:
    """The three fields of a float32 and what they mean together."""

    bits: int
    sign: int
    exponent: int  # the biased exponent field, 0..255
    mantissa: int  # the 23 stored fraction bits, 0..2**23 - 1

    def __iter__(self) -> Iterator[int]:
        """Unpack as `sign, exponent, mantissa = decode_float32(x)`."""
        return iter((self.sign, self.exponent, self.mantissa))

    @property
    def hex(self) -> str:
        return f"0x{self.bits:08X}"

    @property
    def binary(self) -> str:
        """`s eeeeeeee mmmmmmmmmmmmmmmmmmmmmmm`, the layout as one reads it on paper."""
        return f"{self.sign} {self.exponent:08b} {self.mantissa:023b}"

    @property
    def kind(self) -> str:
        if self.exponent == 0xFF:
            return "nan" if self.mantissa else "inf"
        if self.exponent == 0:
            return "zero" if self.mantissa == 0 else "subnormal"
        return "normal"

    @property
    def unbiased_exponent(self) -> int:
        """The power of two applied: exponent - 127, or -126 for subnormals (their exponent field is 0)."""
        return 1 - FP32_BIAS if self.exponent == 0 else self.exponent - FP32_BIAS

    @property
    def significand(self) -> float:
        """1.mantissa for normal numbers, 0.mantissa for subnormals and zero."""
        lead = 0 if self.exponent == 0 else 1
        return float(lead + self.mantissa / 2**FP32_MANTISSA_BITS)

    def value(self) -> float:
        """Rebuild the number from its fields (-1)^s * significand * 2^e, exactly as float64 can hold it."""
        kind = self.kind
        if kind == "nan":
            return math.nan
        if kind == "inf":
            return -math.inf if self.sign else math.inf
        return (-1.0) ** self.sign * math.ldexp(self.significand, self.unbiased_exponent)


def float32_bits(x: float) -> int:
    """The 32-bit pattern of `x` rounded to float32 (round-half-to-even, as the hardware does)."""
    try:
        packed = struct.pack("<f", x)
    except OverflowError as exc:
        raise ValueError(f"{x!r} is outside the float32 range (|x| <= 3.4028235e38)") from exc
    (bits,) = struct.unpack("<I", packed)
    return int(bits)


def decode_float32(x: float) -> Float32Parts:
    """Split `x` (rounded to float32) into sign, biased exponent and mantissa."""
    bits = float32_bits(float(x))
    return Float32Parts(
        bits=bits,
        sign=bits >> 31,
        exponent=(bits >> FP32_MANTISSA_BITS) & 0xFF,
        mantissa=bits & _MANTISSA_MASK,
    )


def encode_float32(sign: int, exponent: int, mantissa: int) -> float:
    """The float32 with these fields, returned as a Python float (exact: every float32 is a float64)."""
    if sign not in (0, 1):
        raise ValueError(f"sign must be 0 or 1, got {sign}")
    if not 0 <= exponent <= 0xFF:
        raise ValueError(f"exponent must be a biased exponent in 0..255, got {exponent}")
    if not 0 <= mantissa <= _MANTISSA_MASK:
        raise ValueError(f"mantissa must be in 0..{_MANTISSA_MASK}, got {mantissa}")
    bits = (sign << 31) | (exponent << FP32_MANTISSA_BITS) | mantissa
    (value,) = struct.unpack("<f", struct.pack("<I", bits))
    return float(value)


def to_bf16_bits(x: float) -> int:
    """bfloat16 = the top 16 bits of float32, rounded to nearest-even on the dropped half (NaN stays NaN)."""
    bits = float32_bits(float(x))
    if (bits >> FP32_MANTISSA_BITS) & 0xFF == 0xFF and bits & _MANTISSA_MASK:
        return ((bits >> 16) | 0x0040) & 0xFFFF  # keep it a quiet NaN even if its payload sat low
    lower = bits & 0xFFFF
    upper = bits >> 16
    if lower > 0x8000 or (lower == 0x8000 and upper & 1):
        upper += (
            1  # may carry into the exponent, which is the correct rounding to the next binade/inf
        )
    return upper & 0xFFFF


def from_bf16_bits(bits: int) -> float:
    """The float a 16-bit bfloat16 pattern stands for (append 16 zero bits and read as float32)."""
    if not 0 <= bits <= 0xFFFF:
        raise ValueError(f"a bfloat16 pattern is 16 bits (0..65535), got {bits}")
    (value,) = struct.unpack("<f", struct.pack("<I", bits << 16))
    return float(value)


def bf16_round_trip(x: float) -> float:
    """x after a trip through bfloat16: 8 bits of precision (eps = 2**-7), float32's full range."""
    return from_bf16_bits(to_bf16_bits(x))


def round_bf16(x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """float32 → nearest-even bfloat16 → float32, elementwise: `bf16_round_trip` on a whole array.

    The shifts of `to_bf16_bits` on a uint32 view: add one unit of the kept half when the dropped half is
    above 0x8000, or exactly 0x8000 with an odd kept half (a carry into the exponent is the correct rounding,
    up to infinity); NaN stays a quiet NaN.
    """
    a = np.ascontiguousarray(x, dtype=np.float32)
    bits = a.view(np.uint32)
    upper = bits >> np.uint32(16)
    lower = bits & np.uint32(0xFFFF)
    half = np.uint32(0x8000)
    up = (lower > half) | ((lower == half) & ((upper & np.uint32(1)) == 1))
    upper = upper + up.astype(np.uint32)
    upper = np.where(np.isnan(a), (bits >> np.uint32(16)) | np.uint32(0x0040), upper)
    return np.asarray((upper << np.uint32(16)).astype(np.uint32).view(np.float32))


def round_fp16(x: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """float32 → nearest-even float16 → float32, elementwise; past 65504 (half-way to 65536 included) → ±inf.

    NumPy's cast is IEEE's round-to-nearest-even, as fp16 hardware does; the overflow to infinity is the
    point of the phase-18 preview, so the warning NumPy would print for it is silenced.
    """
    with np.errstate(over="ignore"):
        out: npt.NDArray[Any] = (
            np.asarray(x, dtype=np.float32).astype(np.float16).astype(np.float32)
        )
    return out


__all__ = [
    "FP32_BIAS",
    "Float32Parts",
    "bf16_round_trip",
    "decode_float32",
    "encode_float32",
    "float32_bits",
    "from_bf16_bits",
    "round_bf16",
    "round_fp16",
    "to_bf16_bits",
]
