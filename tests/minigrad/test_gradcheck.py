"""minigrad.gradcheck: passes on correct graphs of both engines, fails loudly on wrong gradients."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from minigrad.functional import cross_entropy, softmax
from minigrad.gradcheck import (
    GradcheckError,
    check_gradients,
    gradcheck,
    numerical_gradients,
)
from minigrad.scalar import Value
from minigrad.tensor import Tensor, concatenate, stack

SCALAR_CASES: dict[str, Callable[..., Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b + 1.0),
    "pow": lambda a, b: a**3 + b**-2,
    "exp": lambda a, b: (a * b).exp(),
    "log": lambda a, b: (a * a + b * b).log(),
    "tanh": lambda a, b: (a - b).tanh(),
    "relu": lambda a, b: (a * b).relu() + (a - 5.0).relu(),
    "sigmoid": lambda a, b: (a * b).sigmoid(),
    "diamond": lambda a, b: (a * b + a) * (a - b),
    "chain": lambda a, b: ((a * b + 1.0).tanh() * a).relu(),
    "reflected": lambda a, b: 2.0 / a - 3.0 * b + 1.0 - a,
}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_ops_pass(name: str) -> None:
    assert gradcheck(SCALAR_CASES[name], [Value(1.3), Value(0.7)])


def test_unused_input_has_zero_gradient_both_ways() -> None:
    a, unused = Value(2.0), Value(5.0)
    report = check_gradients(lambda x, y: x * x, [a, unused])
    assert report[1].passed
    assert float(report[1].numerical) == 0.0 and float(report[1].analytic) == 0.0


def _assigning_mul(a: Value, b: Value) -> Value:
    """A multiplication whose backward overwrites (`=`) instead of accumulating (`+=`)."""
    out = Value(a.data * b.data, (a, b), "*")

    def _backward(out: Value) -> None:
        a.grad = b.data * out.grad
        b.grad = a.data * out.grad

    out._backward = _backward
    return out


def test_overwriting_backward_is_caught_on_a_node_used_twice() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: _assigning_mul(a, a) + a * b, [Value(1.5), Value(-0.5)])
    message = str(info.value)
    assert "input 0" in message
    for field in ("numerical", "analytic", "abs diff", "rel diff"):
        assert field in message
    # A node used once hides the bug: this is why the check needs diamond-shaped graphs.
    assert gradcheck(lambda a, b: _assigning_mul(a, b), [Value(1.5), Value(-0.5)])


def test_sign_error_is_caught_with_the_element_named() -> None:
    def wrong_sub(a: Tensor, b: Tensor) -> Tensor:
        out = Tensor(a.data - b.data, True, _prev=(a, b), _op="sub")

        def _backward(out: Tensor) -> None:
            assert out.grad is not None
            a._accumulate(out.grad, "sub")
            b._accumulate(out.grad, "sub")  # should be -out.grad

        out._backward = _backward
        return out

    x = Tensor(np.ones((2, 2)), requires_grad=True)
    y = Tensor(np.zeros((2, 2)), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 element \(\d, \d\)"):
        gradcheck(wrong_sub, [x, y])


TENSOR_CASES: dict[str, tuple[Callable[..., Tensor], list[tuple[int, ...]]]] = {
    "broadcast_mlp": (
        lambda x, w, b: ((x @ w + b).gelu() * x.sum(axis=1, keepdims=True)).mean(axis=0),
        [(4, 3), (3, 5), (5,)],
    ),
    "batched_matmul_vector": (lambda a, v: ((a @ v).tanh() @ a) @ v, [(2, 3, 2), (2,)]),
    "normalise": (
        lambda x: (
            (x - x.mean(axis=-1, keepdims=True))
            / ((x * x).mean(axis=-1, keepdims=True) + 1.0) ** 0.5
        ),
        [(3, 4)],
    ),
    "attention_like": (
        lambda q, k: softmax(q @ k.swapaxes(-1, -2) / 2.0, axis=-1) @ k,
        [(2, 3, 4), (2, 3, 4)],
    ),
    "index_cat_stack": (
        lambda a, b: stack(
            [concatenate([a, b])[[0, 0, 3]], concatenate([b, a[::-1]])[1:4]], axis=1
        ).max(axis=1),
        [(2, 3), (2, 3)],
    ),
    "cross_entropy": (lambda z: cross_entropy(z.sigmoid() * 4.0, np.array([0, 2, 1])), [(3, 4)]),
    "reductions": (
        lambda x: (
            x.max(axis=0) + x.min(axis=1, keepdims=True) + x.transpose().reshape(-1)[:3].sum()
        ),
        [(3, 3)],
    ),
}


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_tensor_compositions_pass(name: str) -> None:
    f, shapes = TENSOR_CASES[name]
    rng = np.random.default_rng(11)
    inputs = [Tensor(rng.normal(size=s), requires_grad=True) for s in shapes]
    assert gradcheck(f, inputs)


def test_tensor_output_is_weighted_not_summed() -> None:
    """A gradient that is wrong but sums correctly must still fail: the reduction weights are uneven."""

    def shuffled_grad(x: Tensor) -> Tensor:
        out = Tensor(x.data * 2.0, True, _prev=(x,), _op="double")

        def _backward(out: Tensor) -> None:
            assert out.grad is not None
            x._accumulate(2.0 * out.grad[::-1], "double")  # right total, wrong elements

        out._backward = _backward
        return out

    with pytest.raises(GradcheckError):
        gradcheck(shuffled_grad, [Tensor(np.arange(4.0), requires_grad=True)])


def test_float32_inputs_are_refused() -> None:
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t.sum(), [x])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="does not require grad"):
        gradcheck(lambda t: t.sum(), [Tensor(np.ones(2))])
    with pytest.raises(TypeError, match="not a Value or Tensor"):
        gradcheck(lambda t: t, [1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="eps"):
        numerical_gradients(lambda a: a * a, [Value(1.0)], eps=0.0)
    with pytest.raises(TypeError, match="must return"):
        gradcheck(lambda a: 1.0, [Value(1.0)])


def test_inputs_are_restored_exactly() -> None:
    raw = np.random.default_rng(0).normal(size=(3, 2))
    x = Tensor(raw.copy(), requires_grad=True)
    v = Value(0.1)
    gradcheck(lambda t: (t * t).sum(), [x])
    gradcheck(lambda a: a * a, [v])
    np.testing.assert_array_equal(x.data, raw)
    assert v.data == 0.1


def test_numerical_gradient_of_a_quadratic() -> None:
    (g,) = numerical_gradients(lambda a: a * a * 3.0, [Value(2.0)])
    assert float(g) == pytest.approx(12.0, rel=1e-8)
