"""Two 4-bit codes per byte: the storage half of INT4 and NF4.

A code array is only 4 bits wide in memory once it is packed. The convention is the GGUF-lite spec's: the
code at an even index goes in the low nibble, the next one in the high nibble (little-endian within the
byte, as in ggml). Signed codes are stored as 4-bit two's complement ([−8, 7]) and sign-extended on the way
out with `(n ^ 8) − 8`, which needs no branch. An odd count is padded with a zero nibble; unpacking takes the
count back so the pad never leaks out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


def pack_nibbles(values: npt.ArrayLike) -> U8:
    """Unsigned 4-bit values (any shape, read row-major) → ceil(n / 2) bytes."""
    flat = np.asarray(values).reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() > 15):
        raise ValueError("pack_nibbles takes values in 0..15")
    nib = flat.astype(np.uint8)
    if nib.size % 2:
        nib = np.append(nib, np.uint8(0))
    packed: U8 = nib[0::2] | (nib[1::2] << np.uint8(4))  # (n/2,) low nibble = even index
    return packed


def unpack_nibbles(packed: npt.ArrayLike, count: int) -> U8:
    """The first `count` unsigned 4-bit values of packed bytes."""
    raw = np.asarray(packed, dtype=np.uint8).reshape(-1)
    if count < 0 or count > 2 * raw.size:
        raise ValueError(
            f"{raw.size} packed bytes hold at most {2 * raw.size} nibbles, asked for {count}"
        )
    out = np.empty(2 * raw.size, dtype=np.uint8)
    out[0::2] = raw & np.uint8(0x0F)
    out[1::2] = raw >> np.uint8(4)
    result: U8 = out[:count]
    return result


def pack_int4(codes: npt.ArrayLike) -> U8:
    """Signed codes in [−8, 7] → bytes of two's-complement nibbles."""
    flat = np.asarray(codes).reshape(-1)
    if flat.size and (flat.min() < -8 or flat.max() > 7):
        raise ValueError("pack_int4 takes signed codes in -8..7")
    return pack_nibbles(flat.astype(np.int16) & 0x0F)


def unpack_int4(packed: npt.ArrayLike, count: int) -> npt.NDArray[np.int8]:
    """The first `count` signed codes of packed bytes (sign-extended nibbles)."""
    nib = unpack_nibbles(packed, count).astype(np.int8)
    signed: npt.NDArray[np.int8] = (nib ^ np.int8(8)) - np.int8(8)
    return signed


__all__ = ["pack_int4", "pack_nibbles", "unpack_int4", "unpack_nibbles"]
