"""Nibble packing round trips, the layout of a packed byte, and the NF4 codebook."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniquant.nf4 import NF4_CODE, nearest_code, quantize_nf4
from miniquant.packing import pack_int4, pack_nibbles, unpack_int4, unpack_nibbles
from miniquant.quantize import per_group


@given(st.lists(st.integers(-8, 7), max_size=65))
def test_int4_pack_round_trip(codes: list[int]) -> None:
    packed = pack_int4(codes)
    assert packed.size == (len(codes) + 1) // 2
    np.testing.assert_array_equal(unpack_int4(packed, len(codes)), np.array(codes, dtype=np.int8))


@given(st.lists(st.integers(0, 15), max_size=65))
def test_nibble_pack_round_trip(values: list[int]) -> None:
    np.testing.assert_array_equal(unpack_nibbles(pack_nibbles(values), len(values)), values)


def test_even_index_is_the_low_nibble() -> None:
    assert pack_nibbles([0x3, 0xA]).tolist() == [0xA3]
    assert pack_int4([-1, 1]).tolist() == [0x1F]  # -1 = 0b1111 low, 1 high
    assert pack_int4([7]).tolist() == [0x07]  # odd count: a zero pad nibble


def test_packing_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        pack_int4([8])
    with pytest.raises(ValueError):
        pack_nibbles([16])
    with pytest.raises(ValueError):
        unpack_nibbles(np.zeros(1, np.uint8), 3)


def test_int4_matrix_survives_packing() -> None:
    w = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    qt = per_group(w, bits=4, group_size=4)
    back = unpack_int4(pack_int4(qt.codes), qt.codes.size).reshape(qt.shape)
    np.testing.assert_array_equal(back, qt.codes)


def test_nf4_codebook_is_normal_quantiles() -> None:
    """QLoRA's construction: 8 positive and 7 negative N(0,1) quantiles from offset 0.9677, plus 0, /max."""
    stats = pytest.importorskip("scipy.stats", reason="scipy rebuilds the NF4 table")
    offset = 0.9677083
    pos = stats.norm.ppf(np.linspace(offset, 0.5, 9)[:-1])
    neg = -stats.norm.ppf(np.linspace(offset, 0.5, 8)[:-1])
    values = np.sort(np.concatenate([pos, [0.0], neg]))
    values /= np.abs(values).max()
    np.testing.assert_allclose(NF4_CODE, values, atol=1e-6)


def test_nf4_picks_the_nearest_code_and_beats_int4_on_normal_weights() -> None:
    x = np.linspace(-1, 1, 1001)
    picked = NF4_CODE[nearest_code(x)]
    best = NF4_CODE[np.abs(x[:, None] - NF4_CODE[None, :]).argmin(axis=1)]
    np.testing.assert_allclose(np.abs(picked - x), np.abs(best - x), atol=1e-7)
    w = np.random.default_rng(0).normal(size=(64, 256)).astype(np.float32)
    nf4 = quantize_nf4(w, block=64)
    int4 = per_group(w, bits=4, group_size=64)
    mse_nf4 = float(np.mean((nf4.dequantize() - w) ** 2))
    mse_int4 = float(np.mean((int4.dequantize() - w) ** 2))
    assert mse_nf4 < mse_int4
    assert nf4.nbytes == 64 * 256 // 2 + 2 * 64 * 4
    assert np.all(np.abs(nf4.dequantize()) <= np.abs(w).max() * (1 + 1e-3))
