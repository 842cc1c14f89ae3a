"""RTN quantisers: error bounds, code ranges, scale formulas, and agreement with minigrad's int8 preview."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from minigrad import int8 as preview
from miniquant.quantize import QuantSpec, per_channel, per_group, per_tensor, quantize

SPECS = [
    QuantSpec(8, "tensor"),
    QuantSpec(8, "channel"),
    QuantSpec(8, "channel", symmetric=False),
    QuantSpec(4, "group", 4),
    QuantSpec(4, "group", 8, symmetric=False),
    QuantSpec(3, "group", 2),
    QuantSpec(2, "tensor", symmetric=False),
]

matrices = st.tuples(st.integers(1, 6), st.integers(1, 4)).flatmap(
    lambda s: arrays(
        np.float32,
        (s[0], 8 * s[1]),
        elements=st.floats(-50, 50, width=32, allow_nan=False, allow_subnormal=False),
    )
)


@given(w=matrices, spec=st.sampled_from(SPECS))
def test_every_weight_is_within_half_a_step_of_its_code(w: np.ndarray, spec: QuantSpec) -> None:
    qt = quantize(w, spec)
    rows, groups, width = qt.blocks()
    err = np.abs(qt.dequantize() - w).reshape(rows, groups, width)  # (R, G, W)
    half_step = qt.scales.astype(np.float32)[..., None] / 2
    assert np.all(err <= half_step * (1 + 1e-5) + 1e-6)
    assert qt.codes.min() >= spec.qmin and qt.codes.max() <= spec.qmax


def test_symmetric_int8_scale_is_max_over_127_and_codes_stay_in_pm127() -> None:
    w = np.array([[0.5, -1.27, 0.0, 0.3], [2.54, 0.1, -0.2, 0.0]], dtype=np.float32)
    qt = per_channel(w)
    assert qt.scales.shape == (2, 1)  # (out, 1): broadcasts over the row
    np.testing.assert_allclose(qt.scales[:, 0].astype(np.float32), [0.01, 0.02], rtol=1e-3)
    assert qt.codes[0, 1] == -127 and qt.codes[1, 0] == 127
    assert per_tensor(w).scales.shape == (1, 1)


def test_int4_per_group_uses_15_codes_and_one_scale_per_group() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 8)).astype(np.float32)  # the (4, 8) toy
    qt = per_group(w, bits=4, group_size=4)
    assert qt.scales.shape == (4, 2)
    assert qt.codes.min() >= -7 and qt.codes.max() <= 7
    expected = np.abs(w.reshape(4, 2, 4)).max(axis=-1) / 7
    np.testing.assert_allclose(qt.scales.astype(np.float32), expected, rtol=1e-3)
    assert np.all(qt.scales.astype(np.float32) >= expected)  # rounded up, never down


def test_per_tensor_int8_matches_minigrad_preview_codes() -> None:
    """The phase-2 preview quantises one tensor with max/127: ours must give the same codes (to the fp16
    scale rounding, which moves no code here)."""
    rng = np.random.default_rng(1)
    w = rng.normal(size=(16, 32)).astype(np.float32)
    qt = per_tensor(w)
    theirs = preview.quantize_symmetric(w, float(qt.scales[0, 0]))
    np.testing.assert_array_equal(qt.codes, theirs)


def test_asymmetric_int8_matches_minigrad_affine_shifted_by_128() -> None:
    rng = np.random.default_rng(2)
    w = (rng.normal(size=(1, 64)) + 0.7).astype(np.float32)
    qt = per_tensor(w, symmetric=False)
    params = preview.AffineParams(
        scale=float(qt.scales[0, 0]),
        zero_point=int(qt.zeros[0, 0]) - 128,  # type: ignore[index]
    )
    theirs = preview.quantize_affine(w, params).astype(np.int16) + 128
    np.testing.assert_array_equal(qt.codes, theirs)


def test_one_outlier_ruins_a_per_tensor_scale_but_not_per_group() -> None:
    rng = np.random.default_rng(3)
    w = rng.normal(scale=0.02, size=(8, 64)).astype(np.float32)
    w[0, 0] = 5.0  # one outlier
    err_tensor = np.abs(per_tensor(w, bits=4).dequantize() - w)[1:].mean()
    err_group = np.abs(per_group(w, bits=4, group_size=32).dequantize() - w)[1:].mean()
    assert err_group < err_tensor / 5  # the other rows keep their own ranges
    assert np.all(per_tensor(w, bits=4).codes[1:] == 0)  # per-tensor: every other row rounds to 0


def test_finer_blocks_cost_more_bytes() -> None:
    w = np.ones((64, 128), dtype=np.float32)
    sizes = [
        per_tensor(w).nbytes,
        per_channel(w).nbytes,
        per_group(w, 8, 32).nbytes,
        per_group(w, 4, 32).nbytes,
    ]
    assert sizes == [8192 + 2, 8192 + 128, 8192 + 512, 4096 + 512]


def test_zero_rows_and_bad_input() -> None:
    qt = per_channel(np.zeros((2, 4), dtype=np.float32))
    assert np.all(qt.dequantize() == 0)
    with pytest.raises(ValueError, match="non-finite"):
        per_channel(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="does not divide"):
        per_group(np.ones((2, 10)), group_size=4)
    with pytest.raises(ValueError, match="bits"):
        QuantSpec(bits=9)
