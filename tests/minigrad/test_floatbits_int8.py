"""Float32/bfloat16 bit decoding and the int8 round trip (hand-decoded values, torch/NumPy oracles)."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from minigrad.floatbits import (
    bf16_round_trip,
    decode_float32,
    encode_float32,
    float32_bits,
    from_bf16_bits,
    round_bf16,
    round_fp16,
    to_bf16_bits,
)
from minigrad.int8 import affine_params, int8_round_trip, quantize_symmetric, symmetric_scale
from minigrad.numerics import decode_float32 as reexported


def test_one_over_six_hundred_decodes_to_the_seed_fields() -> None:
    parts = decode_float32(1 / 600)
    assert parts.hex == "0x3ADA740E"
    assert (parts.sign, parts.exponent, parts.mantissa) == (0, 117, 5927950)
    assert parts.unbiased_exponent == -10
    assert parts.binary == "0 01110101 10110100111010000001110"
    assert parts.significand == pytest.approx(1.70666670799255, rel=1e-12)
    assert parts.value() == float(np.float32(1 / 600))
    assert abs(parts.value() - 1 / 600) < 5e-11
    assert reexported is decode_float32
    sign, exponent, mantissa = decode_float32(1 / 600)
    assert (sign, exponent, mantissa) == (0, 117, 5927950)


@pytest.mark.parametrize(
    ("x", "hex_bits", "kind"),
    [
        (1.0, "0x3F800000", "normal"),
        (math.pi, "0x40490FDB", "normal"),
        (92.0, "0x42B80000", "normal"),
        (-0.0, "0x80000000", "zero"),
        (1e-40, "0x000116C2", "subnormal"),
        (math.inf, "0x7F800000", "inf"),
    ],
)
def test_hand_decoded_patterns(x: float, hex_bits: str, kind: str) -> None:
    parts = decode_float32(x)
    assert parts.hex == hex_bits
    assert parts.kind == kind


def test_nan_is_recognised_by_its_fields() -> None:
    parts = decode_float32(math.nan)
    assert parts.exponent == 255 and parts.mantissa != 0 and parts.kind == "nan"
    assert math.isnan(parts.value())


@given(st.floats(width=32, allow_nan=False))
def test_decode_encode_round_trip(x: float) -> None:
    parts = decode_float32(x)
    assert parts.value() == x
    rebuilt = encode_float32(parts.sign, parts.exponent, parts.mantissa)
    assert struct.pack("<f", rebuilt) == struct.pack("<f", x)


def test_encode_rejects_out_of_range_fields() -> None:
    with pytest.raises(ValueError, match="exponent"):
        encode_float32(0, 256, 0)
    with pytest.raises(ValueError, match="mantissa"):
        encode_float32(0, 1, 1 << 23)
    with pytest.raises(ValueError, match="float32 range"):
        float32_bits(1e39)


def test_bf16_matches_torch_rounding() -> None:
    torch = pytest.importorskip("torch", reason="torch's bfloat16 cast is the rounding oracle")
    values = [1.0, 1 / 600, 92.0, 0.1, 1e-20, -3.14159, 65504.0, 1.00390625, 1.01171875, 3e38]
    expected = torch.tensor(values, dtype=torch.float32).to(torch.bfloat16).to(torch.float32)
    assert [bf16_round_trip(v) for v in values] == expected.tolist()


def test_bf16_bits_and_precision() -> None:
    assert to_bf16_bits(1.0) == 0x3F80
    assert from_bf16_bits(0x3F80) == 1.0
    assert abs(bf16_round_trip(1 / 600) - 1 / 600) / (1 / 600) < 2**-8
    assert math.isnan(bf16_round_trip(math.nan))
    with pytest.raises(ValueError, match="16 bits"):
        from_bf16_bits(1 << 16)


@given(arrays(np.float32, st.integers(1, 200), elements=st.floats(-100, 100, width=32)))
def test_symmetric_round_trip_error_is_at_most_half_a_step(x: np.ndarray) -> None:
    back, report = int8_round_trip(x, "symmetric")
    assert report.max_abs_error <= report.scale / 2 * (1 + 1e-5) + 1e-12
    assert back.dtype == np.float32 and back.shape == x.shape
    assert report.codes_used <= 255  # -128 is never produced by a symmetric scale


@given(arrays(np.float32, st.integers(1, 200), elements=st.floats(-100, 100, width=32)))
def test_affine_round_trip_error_is_at_most_half_a_step(x: np.ndarray) -> None:
    _, report = int8_round_trip(x, "affine")
    assert report.max_abs_error <= report.scale / 2 * (1 + 1e-4) + 1e-12


def test_affine_keeps_zero_exact_and_uses_more_codes_on_one_sided_data() -> None:
    x = np.linspace(0.0, 1.0, 1000, dtype=np.float32)
    params = affine_params(x)
    back, affine = int8_round_trip(x, "affine")
    _, symmetric = int8_round_trip(x, "symmetric")
    assert back[0] == 0.0 and params.zero_point == -128
    assert affine.codes_used > symmetric.codes_used
    assert affine.max_abs_error < symmetric.max_abs_error


def test_symmetric_scale_and_clipping() -> None:
    x = np.array([-2.0, 0.5, 1.27], dtype=np.float32)
    assert symmetric_scale(x) == pytest.approx(2.0 / 127)
    q = quantize_symmetric(x, 0.01)
    assert q.tolist() == [-128, 50, 127]  # -200 and 127 clipped into int8


def test_int8_bad_input() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        int8_round_trip(np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="scheme"):
        int8_round_trip(np.ones(3), "log")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        int8_round_trip(np.array([]))


# --- the array roundings: against the scalar functions, struct's binary16 and torch's casts -----------------

#: Every float32 bit pattern is fair game: subnormals, the largest finite values, infinities, NaNs.
float32_patterns = arrays(np.uint32, st.integers(1, 64), elements=st.integers(0, 2**32 - 1))


def _same_floats(got: np.ndarray, want: np.ndarray) -> bool:
    """Bit-identical, except that any NaN matches any NaN (payloads are not part of the contract)."""
    nan = np.isnan(got)
    return bool(
        np.array_equal(nan, np.isnan(want))
        and np.array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))
    )


@given(float32_patterns)
def test_round_bf16_is_the_scalar_rounding_on_every_element(bits: np.ndarray) -> None:
    x = bits.view(np.float32)
    want = np.array([bf16_round_trip(float(v)) for v in x], dtype=np.float32)
    assert _same_floats(round_bf16(x), want)


@given(float32_patterns)
def test_round_bf16_is_bit_exact_with_torch(bits: np.ndarray) -> None:
    torch = pytest.importorskip("torch", reason="torch's bfloat16 cast is the rounding oracle")
    x = bits.view(np.float32)
    want = torch.from_numpy(x.copy()).to(torch.bfloat16).to(torch.float32).numpy()
    assert _same_floats(round_bf16(x), want)


def _binary16(v: float) -> float:
    """IEEE binary16 round trip through `struct` (round-half-even); it raises where the result is infinite."""
    try:
        return float(struct.unpack("<e", struct.pack("<e", v))[0])
    except OverflowError:
        return math.copysign(math.inf, v)


@given(float32_patterns)
def test_round_fp16_matches_struct_binary16_and_torch(bits: np.ndarray) -> None:
    x = bits.view(np.float32)
    got = round_fp16(x)
    assert _same_floats(got, np.array([_binary16(float(v)) for v in x], dtype=np.float32))
    torch = pytest.importorskip("torch", reason="torch's float16 cast is the second oracle")
    assert _same_floats(got, torch.from_numpy(x.copy()).to(torch.float16).to(torch.float32).numpy())


def test_bf16_ties_round_to_even_and_nan_survives() -> None:
    # 1 + 2^-8 sits exactly halfway between bf16 neighbours 1 and 1 + 2^-7: ties go to the even one (1.0)
    ties = np.array([1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, np.nan], dtype=np.float32)
    out = round_bf16(ties)
    assert out[0] == 1.0 and out[1] == 1.0 + 2.0**-6 and np.isnan(out[2])


def test_fp16_overflows_past_65504() -> None:
    # 65520 is half-way between 65504 and 65536 (fp16's first power of two out of range): even → infinity
    out = round_fp16(np.array([65504.0, 65519.0, 65520.0, 1e-8], dtype=np.float32))
    assert out[0] == out[1] == 65504.0 and np.isinf(out[2]) and out[3] == 0.0
