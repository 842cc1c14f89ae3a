"""minigrad.tensor against PyTorch float64: forward values and gradients of every op, rtol 1e-7.

Each case runs the same function in both engines on the same float64 inputs and backpropagates the same
non-uniform upstream gradient (a plain `.sum()` would hide reverse-broadcasting mistakes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from minigrad.tensor import Tensor, concatenate, stack

torch = pytest.importorskip("torch", reason="PyTorch is the float64 oracle for tensor gradients")

RTOL, ATOL = 1e-7, 1e-12


def compare(
    ours: Callable[..., Tensor],
    theirs: Callable[..., Any],
    arrays: Sequence[np.ndarray],
    *,
    upstream_seed: int = 7,
) -> None:
    """Same inputs, same upstream gradient: forward and every input's gradient must agree."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    ref = theirs(*ts)
    weights = np.random.default_rng(upstream_seed).uniform(0.5, 1.5, size=tuple(ref.shape))
    (ref * torch.from_numpy(weights)).sum().backward()

    xs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out = ours(*xs)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    out.backward(weights)
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        expected = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(x.shape) if x.grad is None else x.grad
        assert got.shape == x.shape, f"input {i}: grad shape {got.shape} != data shape {x.shape}"
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=f"input {i}")


def rand(*shape: int, seed: int = 0, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


# ----------------------------------------------------------------------------- elementwise

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 0.5), lambda a, b: a / (b * b + 0.5)),
}

PAIRS = [
    ((3, 4), (3, 4)),
    ((3,), (4, 3)),
    ((4, 3), (3,)),
    ((3, 1), (1, 5)),
    ((2, 1, 4), (3, 1)),
    ((1,), (2, 3)),
    ((), (2, 3)),
    ((2, 3, 1), (2, 1, 4)),
    ((5, 1, 1), (1, 2, 3)),
]


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize(("sa", "sb"), PAIRS, ids=[f"{a}x{b}" for a, b in PAIRS])
def test_binary_ops_with_broadcasting(op: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    ours, theirs = BINARY[op]
    compare(ours, theirs, [rand(*sa, seed=1), rand(*sb, seed=2)])


def test_same_tensor_on_both_sides() -> None:
    compare(lambda a: a * a + a / (a * a + 1.0), lambda a: a * a + a / (a * a + 1.0), [rand(3, 4)])


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "low", "high"),
    [
        ("neg", lambda x: -x, lambda x: -x, -2, 2),
        ("exp", lambda x: x.exp(), torch.exp, -2, 2),
        ("log", lambda x: x.log(), torch.log, 0.1, 3),
        ("tanh", lambda x: x.tanh(), torch.tanh, -3, 3),
        ("sigmoid", lambda x: x.sigmoid(), torch.sigmoid, -8, 8),
        ("relu", lambda x: x.relu(), torch.relu, -2, 2),
        (
            "gelu",
            lambda x: x.gelu(),
            lambda x: torch.nn.functional.gelu(x, approximate="tanh"),
            -4,
            4,
        ),
        ("pow2", lambda x: x**2, lambda x: x**2, -2, 2),
        ("pow-1.5", lambda x: x**-1.5, lambda x: x**-1.5, 0.2, 3),
        ("rsub", lambda x: 3.0 - x, lambda x: 3.0 - x, -2, 2),
        ("rdiv", lambda x: 3.0 / x, lambda x: 3.0 / x, 0.2, 3),
        ("rmul_radd", lambda x: 2.0 * x + 1.0, lambda x: 2.0 * x + 1.0, -2, 2),
    ],
)
def test_unary_ops(name: str, ours: Any, theirs: Any, low: float, high: float) -> None:
    compare(ours, theirs, [rand(3, 5, seed=3, low=low, high=high)])


def test_sigmoid_at_large_magnitudes() -> None:
    compare(
        lambda x: x.sigmoid(),
        torch.sigmoid,
        [np.array([-700.0, -40.0, -1.0, 0.0, 1.0, 40.0, 700.0])],
    )


# ----------------------------------------------------------------------------- reductions


AXES = [None, 0, 1, 2, -1, (0, 2), (1, 2), (0, 1, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_reductions(reduction: str, axis: Any, keepdims: bool) -> None:
    def ours(x: Tensor) -> Tensor:
        return getattr(x, reduction)(axis=axis, keepdims=keepdims)

    def theirs(x: Any) -> Any:
        dim = tuple(range(x.ndim)) if axis is None else axis
        fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[reduction]
        return fn(x, dim=dim, keepdim=keepdims)

    compare(ours, theirs, [rand(2, 3, 4, seed=4)])


def test_max_shares_the_gradient_between_ties() -> None:
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    compare(lambda x: x.max(axis=1), lambda x: torch.amax(x, dim=1), [data])
    compare(lambda x: x.max(), lambda x: torch.amax(x), [data])


def test_min() -> None:
    compare(lambda x: x.min(axis=0), lambda x: torch.amin(x, dim=0), [rand(3, 4, seed=5)])


# ----------------------------------------------------------------------------- shape ops


def test_reshape_and_transpose() -> None:
    compare(
        lambda x: x.reshape(4, -1).transpose() * 2.0,
        lambda x: x.reshape(4, -1).T * 2.0,
        [rand(2, 3, 4)],
    )
    compare(
        lambda x: x.transpose(2, 0, 1) * x.transpose((2, 0, 1)),
        lambda x: x.permute(2, 0, 1) * x.permute(2, 0, 1),
        [rand(2, 3, 4)],
    )
    compare(lambda x: x.T, lambda x: x.permute(2, 1, 0), [rand(2, 3, 4)])
    compare(lambda x: x.swapaxes(-1, -2), lambda x: x.transpose(-1, -2), [rand(2, 3, 4)])


def test_broadcast_to() -> None:
    compare(lambda x: x.broadcast_to((4, 2, 3)), lambda x: x.expand(4, 2, 3), [rand(2, 1)])


@pytest.mark.parametrize(
    "key",
    [
        (1,),
        (slice(1, 3),),
        (slice(None, None, 2), 2),
        (Ellipsis, 1),
        (np.array([0, 0, 2, 1, 0]),),
        (np.array([2, 0]), slice(1, 4)),
        (np.array([0, 0, 1]), np.array([3, 3, 0])),
        (np.array([[0, 1], [1, 0]]),),
        (np.array([True, False, True]),),
        (slice(0, 2), None),
    ],
    ids=str,
)
def test_getitem(key: tuple[Any, ...]) -> None:
    def theirs(x: Any) -> Any:
        converted = tuple(torch.from_numpy(k) if isinstance(k, np.ndarray) else k for k in key)
        return x[converted if len(converted) > 1 else converted[0]]

    compare(lambda x: x[key if len(key) > 1 else key[0]], theirs, [rand(3, 4, seed=6)])


def test_concatenate_and_stack() -> None:
    compare(
        lambda a, b: concatenate([a, b, a], axis=1),
        lambda a, b: torch.cat([a, b, a], dim=1),
        [rand(2, 3, seed=1), rand(2, 5, seed=2)],
    )
    compare(
        lambda a, b: stack([a, b, a], axis=-1),
        lambda a, b: torch.stack([a, b, a], dim=-1),
        [rand(2, 3, seed=1), rand(2, 3, seed=2)],
    )


# ----------------------------------------------------------------------------- matmul

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((4,), (4,)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4, 5), (2, 5, 3)),
    ((1, 3, 4), (6, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    compare(lambda a, b: a @ b, lambda a, b: a @ b, [rand(*sa, seed=1), rand(*sb, seed=2)])


def test_matmul_with_constant_operand() -> None:
    w = rand(4, 3, seed=9)
    compare(lambda x: x @ w, lambda x: x @ torch.from_numpy(w), [rand(2, 4)])
    compare(lambda x: w.T @ x.T, lambda x: torch.from_numpy(w).T @ x.T, [rand(2, 4)])


def test_composite_mlp_step_matches() -> None:
    def ours(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor) -> Tensor:
        return ((x @ w1 + b1).gelu() @ w2).tanh().mean(axis=0)

    def theirs(x: Any, w1: Any, b1: Any, w2: Any) -> Any:
        h = torch.nn.functional.gelu(x @ w1 + b1, approximate="tanh")
        return torch.tanh(h @ w2).mean(dim=0)

    compare(
        ours, theirs, [rand(6, 4, seed=1), rand(4, 8, seed=2), rand(8, seed=3), rand(8, 3, seed=4)]
    )


def test_float32_path_matches_torch_float32() -> None:
    """The model dtype: results and gradients stay float32 and agree with PyTorch's float32 to ~1e-5."""
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(8, 16), (16, 4), (4,)])
    ours = [Tensor(a.copy(), requires_grad=True) for a in (x, w, b)]
    out = ((ours[0] @ ours[1] + ours[2]).gelu() ** 2).mean()
    out.backward()
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ref = (torch.nn.functional.gelu(ts[0] @ ts[1] + ts[2], approximate="tanh") ** 2).mean()
    ref.backward()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-5)
    for mine, theirs in zip(ours, ts, strict=True):
        assert mine.grad is not None and mine.grad.dtype == np.float32
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-4, atol=1e-6)
