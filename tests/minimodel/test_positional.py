from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor
from minimodel.positional import (
    LearnedPositional,
    alibi_bias,
    alibi_slopes,
    apply_rope,
    precompute_rope,
    rotate_at,
    sinusoidal,
)


def test_sinusoidal_table() -> None:
    table = sinusoidal(50, 8, dtype=np.float64)
    assert table.shape == (50, 8)
    np.testing.assert_allclose(table[0], [0, 1, 0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(table[3, 0], np.sin(3.0))
    np.testing.assert_allclose(table[3, 3], np.cos(3 * 10_000 ** (-2 / 8)))
    assert sinusoidal(4, 6).dtype == np.float32


def rope_complex(x: np.ndarray, positions: np.ndarray, base: float = 10_000.0) -> np.ndarray:
    """Oracle: treat (even, odd) pairs as complex numbers and multiply by e^{i p θ}."""
    d = x.shape[-1]
    theta = base ** (-np.arange(0, d, 2) / d)
    z = (x[..., 0::2] + 1j * x[..., 1::2]) * np.exp(1j * positions[:, None] * theta)
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = z.real, z.imag
    return out


def test_rope_matches_complex_rotation() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 8))  # (B, H, T, Dh)
    cos, sin = precompute_rope(16, 8, dtype=np.float64)
    out = apply_rope(Tensor(x), cos, sin, start=5).data
    np.testing.assert_allclose(out, rope_complex(x, np.arange(5, 12)), atol=1e-12)


@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 20))
def test_rope_scores_depend_only_on_relative_position(m: int, n: int, shift: int) -> None:
    rng = np.random.default_rng(m * 100 + n)
    q, k = rng.standard_normal(16), rng.standard_normal(16)
    cos, sin = precompute_rope(128, 16, dtype=np.float64)

    def at(v: np.ndarray, p: int) -> np.ndarray:
        return apply_rope(Tensor(v[None, :]), cos, sin, start=p).data[0]

    assert abs(at(q, m) @ at(k, n) - at(q, m + shift) @ at(k, n + shift)) < 1e-5


def test_rope_preserves_norms_and_position_zero() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 12))
    cos, sin = precompute_rope(5, 12, dtype=np.float64)
    out = apply_rope(Tensor(x), cos, sin).data
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(out[0], x[0])


def test_rope_gradient() -> None:
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 4, 6)), requires_grad=True)
    cos, sin = precompute_rope(4, 6, dtype=np.float64)
    assert gradcheck(lambda t: apply_rope(t, cos, sin), [x])


def test_rope_keeps_dtype_and_rejects_bad_shapes() -> None:
    cos, sin = precompute_rope(4, 6)
    assert apply_rope(Tensor(np.ones((4, 6), dtype=np.float32)), cos, sin).dtype == np.float32
    with pytest.raises(ValueError, match="exceed the precomputed table of 4"):
        apply_rope(Tensor(np.ones((3, 6))), cos, sin, start=2)
    with pytest.raises(ValueError, match="tables are for d_head=6"):
        apply_rope(Tensor(np.ones((3, 8))), cos, sin)
    with pytest.raises(ValueError, match="positive even"):
        precompute_rope(4, 5)


def test_rope_matches_torch_reference() -> None:
    torch = pytest.importorskip("torch", reason="torch is an optional oracle")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 8))
    t = torch.tensor(x)
    theta = 10_000 ** (-torch.arange(0, 8, 2, dtype=torch.float64) / 8)
    angles = torch.arange(5, dtype=torch.float64)[:, None] * theta
    z = torch.view_as_complex(t.reshape(1, 2, 5, 4, 2).contiguous()) * torch.polar(
        torch.ones_like(angles), angles
    )
    expected = torch.view_as_real(z).reshape(1, 2, 5, 8).numpy()
    cos, sin = precompute_rope(5, 8, dtype=np.float64)
    np.testing.assert_allclose(apply_rope(Tensor(x), cos, sin).data, expected, atol=1e-12)


def test_alibi() -> None:
    np.testing.assert_allclose(alibi_slopes(8), [2.0 ** -(i + 1) for i in range(8)])
    np.testing.assert_allclose(alibi_slopes(4), [2.0 ** (-2 * (i + 1)) for i in range(4)])
    assert len(alibi_slopes(6)) == 6 and np.all(np.diff(alibi_slopes(6)[:4]) < 0)
    bias = alibi_bias(2, 4, dtype=np.float64)
    assert bias.shape == (2, 4, 4)
    np.testing.assert_allclose(bias[0, 3], [-3 * 0.0625, -2 * 0.0625, -0.0625, 0])
    assert np.all(np.triu(bias[1], 1) == 0)
    with pytest.raises(ValueError):
        alibi_slopes(0)


def test_sinusoidal_worked_table() -> None:
    """T = 4, d = 8: frequencies 1, 0.1, 0.01, 0.001; rows to two decimals."""
    table = sinusoidal(4, 8, dtype=np.float64)
    np.testing.assert_allclose(
        table[1], [0.84, 0.54, 0.10, 1.00, 0.01, 1.00, 0.00, 1.00], atol=5e-3
    )
    np.testing.assert_allclose(
        table[3], [0.14, -0.99, 0.30, 0.96, 0.03, 1.00, 0.00, 1.00], atol=5e-3
    )


@pytest.mark.parametrize(("m", "n"), [(0, 1), (3, 7), (5, 5), (10, 12), (20, 8)])
def test_rope_relative_identity_seed_pairs(m: int, n: int) -> None:
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal(16), rng.standard_normal(16)
    cos, sin = precompute_rope(32, 16, dtype=np.float64)
    rq = apply_rope(Tensor(np.tile(q, (32, 1))), cos, sin).data
    rk = apply_rope(Tensor(np.tile(k, (32, 1))), cos, sin).data
    assert abs(rq[m] @ rk[n] - q @ rotate_at(k, n - m)) < 1e-5


def test_rotate_at_matches_tables_and_keeps_norms_far_out() -> None:
    x = np.random.default_rng(3).standard_normal(8)
    cos, sin = precompute_rope(101, 8, dtype=np.float64)
    for p in (0, 1, 5, 100):
        rotated = apply_rope(Tensor(x[None]), cos, sin, start=p).data[0]
        np.testing.assert_allclose(rotated, rotate_at(x, p), atol=1e-12)
        assert abs(np.linalg.norm(rotated) - np.linalg.norm(x)) < 1e-6
    np.testing.assert_allclose(rotate_at(rotate_at(x, 7), -7), x, atol=1e-12)


def test_learned_positions() -> None:
    table = LearnedPositional(4, 3, rng=np.random.default_rng(0))
    rows = table(6, clamp=True)
    np.testing.assert_array_equal(rows.data[4], table.table.data[3])
    rows.sum().backward()
    assert table.table.grad is not None
    np.testing.assert_array_equal(
        table.table.grad[:, 0], [1, 1, 1, 3]
    )  # the last row serves 3 positions
    with pytest.raises(ValueError, match="exceeds the learned table of 4"):
        table(5)
