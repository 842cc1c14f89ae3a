"""Property tests: random shapes, broadcast patterns, axes and indices, each checked against PyTorch float64.

Every op group draws 100 examples. Shapes have rank 0-4 and sizes 1-4, so size-1 axes, missing leading
axes and 0-d operands (the cases where reverse broadcasting goes wrong) come up constantly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.tensor import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is the float64 oracle for tensor gradients")

RTOL, ATOL = 1e-7, 1e-12
EXAMPLES = settings(max_examples=100, deadline=None)

dims = st.integers(min_value=1, max_value=4)
shapes = st.lists(dims, min_size=0, max_size=4).map(tuple)


@st.composite
def broadcastable_pair(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A base shape and a partner that NumPy can broadcast against it (either may be the longer one)."""
    base = draw(st.lists(dims, min_size=1, max_size=4).map(tuple))
    partner = tuple(draw(st.sampled_from([d, 1])) for d in base)
    partner = partner[draw(st.integers(min_value=0, max_value=len(base))) :]
    return (base, partner) if draw(st.booleans()) else (partner, base)


def arrays(shape: tuple[int, ...], seed: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def check(ours: Any, theirs: Any, inputs: list[np.ndarray]) -> None:
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    ref = theirs(*ts)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=tuple(ref.shape))
    (ref * torch.from_numpy(weights)).sum().backward()
    xs = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    out = ours(*xs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    out.backward(weights)
    for x, t in zip(xs, ts, strict=True):
        assert x.grad is not None and x.grad.shape == x.shape
        expected = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(x.grad, expected, rtol=RTOL, atol=ATOL)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "mixed": lambda a, b: (a * b - a) / (b * b + 1.0) + b,
}


@EXAMPLES
@given(pair=broadcastable_pair(), op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_binary_broadcasting(pair: tuple[tuple[int, ...], ...], op: str, seed: int) -> None:
    sa, sb = pair
    check(BINARY[op], BINARY[op], [arrays(sa, seed), arrays(sb, seed + 1)])


UNARY = {
    "exp": (lambda x: x.exp(), torch.exp),
    "tanh": (lambda x: x.tanh(), torch.tanh),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid),
    "relu": (lambda x: x.relu(), torch.relu),
    "gelu": (lambda x: x.gelu(), lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
    "log": (lambda x: (x * x + 0.1).log(), lambda x: torch.log(x * x + 0.1)),
    "pow": (lambda x: (x * x + 0.5) ** -0.75, lambda x: (x * x + 0.5) ** -0.75),
}


@EXAMPLES
@given(shape=shapes, op=st.sampled_from(sorted(UNARY)), seed=st.integers(0, 2**16))
def test_unary(shape: tuple[int, ...], op: str, seed: int) -> None:
    ours, theirs = UNARY[op]
    check(ours, theirs, [arrays(shape, seed)])


@EXAMPLES
@given(
    shape=st.lists(dims, min_size=1, max_size=4).map(tuple),
    data=st.data(),
    reduction=st.sampled_from(["sum", "mean", "max"]),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_reductions(
    shape: tuple[int, ...], data: st.DataObject, reduction: str, keepdims: bool, seed: int
) -> None:
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    axis: Any = None if not axes else (axes[0] - ndim if len(axes) == 1 else tuple(axes))
    fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[reduction]

    def theirs(x: Any) -> Any:
        dim = tuple(range(ndim)) if axis is None else axis
        return fn(x, dim=dim, keepdim=keepdims)

    check(
        lambda x: getattr(x, reduction)(axis=axis, keepdims=keepdims), theirs, [arrays(shape, seed)]
    )


@st.composite
def matmul_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, k, p = draw(dims), draw(dims), draw(dims)
    batch_a, batch_b = draw(broadcastable_pair())
    a: tuple[int, ...] = (k,) if draw(st.integers(0, 4)) == 0 else (*batch_a[-2:], n, k)
    b: tuple[int, ...] = (k,) if draw(st.integers(0, 4)) == 0 else (*batch_b[-2:], k, p)
    return a, b


@EXAMPLES
@given(pair=matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_batched_and_vectors(pair: tuple[tuple[int, ...], ...], seed: int) -> None:
    sa, sb = pair
    check(lambda a, b: a @ b, lambda a, b: a @ b, [arrays(sa, seed), arrays(sb, seed + 1)])


@EXAMPLES
@given(
    shape=st.lists(dims, min_size=1, max_size=3).map(tuple), data=st.data(), seed=st.integers(0, 99)
)
def test_getitem_with_repeated_integer_indices(
    shape: tuple[int, ...], data: st.DataObject, seed: int
) -> None:
    rows = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6))
    index = np.array(rows)
    check(lambda x: x[index], lambda x: x[torch.from_numpy(index)], [arrays(shape, seed)])
