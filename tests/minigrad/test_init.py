"""minigrad.init: variances, bounds, gains against PyTorch, and explicit-generator determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minigrad import init
from minigrad.tensor import Tensor


def _w(shape: tuple[int, ...] = (400, 300)) -> Tensor:
    return Tensor(np.zeros(shape))


def test_xavier_and_kaiming_variances() -> None:
    rng = np.random.default_rng(0)
    fan_out, fan_in = 400, 300
    cases = {
        "xavier_normal": (init.xavier_normal_(_w(), rng), 2 / (fan_in + fan_out)),
        "xavier_uniform": (init.xavier_uniform_(_w(), rng), 2 / (fan_in + fan_out)),
        "kaiming_normal": (init.kaiming_normal_(_w(), rng), 2 / fan_in),
        "kaiming_uniform": (init.kaiming_uniform_(_w(), rng), 2 / fan_in),
        "kaiming_fan_out": (init.kaiming_normal_(_w(), rng, mode="fan_out"), 2 / fan_out),
        "tanh_gain": (init.xavier_normal_(_w(), rng, gain=5 / 3), (5 / 3) ** 2 * 2 / 700),
    }
    for name, (t, var) in cases.items():
        assert abs(t.data.mean()) < 0.01 * math.sqrt(var) * 10, name
        assert t.data.var() == pytest.approx(var, rel=0.03), name


def test_uniform_bounds() -> None:
    t = init.kaiming_uniform_(_w((50, 24)), np.random.default_rng(0))
    assert np.abs(t.data).max() <= math.sqrt(6 / 24)
    u = init.uniform_(_w((10, 10)), np.random.default_rng(0), -0.5, 0.5)
    assert u.data.min() >= -0.5 and u.data.max() < 0.5


def test_same_generator_state_same_weights_and_global_state_untouched() -> None:
    state = np.random.get_state()[1].copy()  # type: ignore[index]
    a = init.kaiming_normal_(_w((8, 8)), np.random.default_rng(5))
    b = init.kaiming_normal_(_w((8, 8)), np.random.default_rng(5))
    assert np.array_equal(a.data, b.data)
    assert np.array_equal(np.random.get_state()[1], state)  # type: ignore[index]


def test_fill_keeps_dtype_and_clears_grad() -> None:
    t = Tensor(np.zeros((3, 4), dtype=np.float32), requires_grad=True)
    t.grad = np.ones((3, 4), dtype=np.float32)
    init.xavier_uniform_(t, np.random.default_rng(0))
    assert t.dtype == np.float32 and t.grad is None
    assert np.array_equal(init.ones_(t).data, np.ones((3, 4)))
    assert np.array_equal(init.zeros_(t).data, np.zeros((3, 4)))


def test_gains_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch.nn.init.calculate_gain is the oracle")
    for name in ("linear", "sigmoid", "tanh", "relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )
    assert init.calculate_gain("gelu") == pytest.approx(math.sqrt(2))


def test_fans_and_errors() -> None:
    assert init.fans((16, 8, 3)) == (24, 48)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_normal_(Tensor(np.zeros(5)), np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        init.normal_(_w(), 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.calculate_gain("swish")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a < b"):
        init.uniform_(_w(), np.random.default_rng(0), 1.0, 1.0)
