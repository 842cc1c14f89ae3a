"""minigrad.tensor without an oracle: hand-derived gradients, dtype policy, no_grad, errors, graph mechanics."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from minigrad._broadcast import unbroadcast
from minigrad.gradcheck import gradcheck
from minigrad.tensor import (
    Tensor,
    _unbroadcast,
    cat,
    concatenate,
    is_grad_enabled,
    no_grad,
    stack,
    zero_grad,
)

# ----------------------------------------------------------------------------- hand-derived cases


def test_leaf_construction_and_lazy_grad() -> None:
    t = Tensor([1.0, 2.0, 3.0])
    assert t.shape == (3,) and t.ndim == 1 and t.size == 3 and len(t) == 3
    assert t._prev == () and t._op == "" and t.requires_grad is False
    assert t.grad is None


def test_sum_axis0_gradient_is_ones() -> None:
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    x.sum(axis=0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((3, 4)))


def test_mean_gradient_is_one_over_n() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    x.mean().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3), 1 / 6))


def test_repeated_index_accumulates() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 1.0, 0.0])


def test_transpose_gradient_comes_back_in_the_original_layout() -> None:
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x.transpose(2, 0, 1)
    assert y.shape == (4, 2, 3)
    (y * Tensor(np.arange(24.0).reshape(4, 2, 3))).sum().backward()
    assert x.grad is not None and x.grad.shape == (2, 3, 4)
    np.testing.assert_array_equal(x.grad, np.arange(24.0).reshape(4, 2, 3).transpose(1, 2, 0))


def test_concatenate_splits_the_gradient() -> None:
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((2, 5)), requires_grad=True)
    out = concatenate([a, b, a], axis=1)
    assert out.shape == (2, 11)
    (out * Tensor(np.arange(11.0))).sum().backward()
    np.testing.assert_array_equal(a.grad, np.tile([8.0, 10.0, 12.0], (2, 1)))  # cols 0-2 + 8-10
    np.testing.assert_array_equal(b.grad, np.tile(np.arange(3.0, 8.0), (2, 1)))
    assert cat is concatenate


def test_stack_gradient() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    s = stack([a, b], axis=1)  # (2, 2): [[1, 3], [2, 4]]
    (s * Tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 100.0])
    np.testing.assert_array_equal(b.grad, [10.0, 1000.0])


def test_matmul_worked_example() -> None:
    a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = Tensor([[5.0], [6.0]], requires_grad=True)
    c = a @ b
    np.testing.assert_array_equal(c.data, [[17.0], [39.0]])
    c.sum().backward()
    np.testing.assert_array_equal(a.grad, [[5.0, 6.0], [5.0, 6.0]])  # dC @ B^T
    np.testing.assert_array_equal(b.grad, [[4.0], [6.0]])  # A^T @ dC


def test_person_weights_broadcast_over_tense_logits() -> None:
    person = Tensor([1.0, 2.0, 3.0], requires_grad=True)  # (3,)
    logits = Tensor(np.arange(15.0).reshape(3, 5), requires_grad=True)  # (3, 5)
    (person.reshape(3, 1) * logits).sum().backward()
    np.testing.assert_array_equal(person.grad, np.arange(15.0).reshape(3, 5).sum(axis=1))
    np.testing.assert_array_equal(logits.grad, np.repeat([[1.0], [2.0], [3.0]], 5, axis=1))


def test_negative_step_slice_by_gradcheck() -> None:
    x = Tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
    assert gradcheck(lambda t: t[::-1, 1:] * t[::-2].sum(), [x])


# ----------------------------------------------------------------------------- unbroadcast


@pytest.mark.parametrize(
    ("grad_shape", "target", "expected_sum_axes"),
    [
        ((4, 3), (3,), (0,)),
        ((4, 3), (1, 3), (0,)),
        ((2, 3, 5), (3, 1), (0, 2)),
        ((2, 3), (), (0, 1)),
        ((2, 3), (2, 3), ()),
    ],
)
def test_unbroadcast_sums_the_stretched_axes(
    grad_shape: tuple[int, ...], target: tuple[int, ...], expected_sum_axes: tuple[int, ...]
) -> None:
    g = np.random.default_rng(1).normal(size=grad_shape)
    out = unbroadcast(g, target)
    assert out.shape == target
    np.testing.assert_allclose(out, g.sum(axis=expected_sum_axes).reshape(target))
    assert _unbroadcast is unbroadcast


def test_unbroadcast_rejects_impossible_shapes() -> None:
    with pytest.raises(ValueError, match="larger"):
        unbroadcast(np.ones(3), (2, 3))
    with pytest.raises(ValueError, match="not a broadcast"):
        unbroadcast(np.ones((4, 3)), (2,))


# ----------------------------------------------------------------------------- dtype policy


def test_dtype_is_kept() -> None:
    x32 = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    w32 = Tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    out = ((x32 * 2.0 + 1 - 0.5) / 3.0 @ w32).gelu().tanh().sigmoid().exp().mean()
    assert out.dtype == np.float32
    out.backward()
    assert x32.grad is not None and x32.grad.dtype == np.float32
    assert w32.grad is not None and w32.grad.dtype == np.float32
    assert Tensor([1.0, 2.0]).dtype == np.float64
    assert Tensor([1, 2]).dtype == np.float64  # integers become float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_mixed_precision_grads_come_back_in_each_leaf_dtype() -> None:
    a = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(3, dtype=np.float64), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64  # NumPy's promotion
    out.sum().backward()
    assert a.grad is not None and a.grad.dtype == np.float32
    c = Tensor(np.ones(2), requires_grad=True)
    c.astype(np.float32).sum().backward()
    assert c.grad is not None and c.grad.dtype == np.float64


def test_non_numeric_data_is_rejected() -> None:
    with pytest.raises(TypeError, match="real numbers"):
        Tensor(["a", "b"])


# ----------------------------------------------------------------------------- graph mechanics


def test_requires_grad_propagates() -> None:
    x = Tensor([1.0, 2.0])
    y = Tensor([3.0, 4.0], requires_grad=True)
    assert (x + y).requires_grad
    assert not (x + x).requires_grad
    assert (x + x)._prev == ()


def test_no_grad_builds_no_graph_and_restores() -> None:
    y = Tensor([3.0, 4.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        z = y * 2.0
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not z.requires_grad and z._prev == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        z.sum().backward()


def test_no_grad_restores_after_an_exception() -> None:
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert is_grad_enabled()


def test_backward_errors_are_clear() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(5.0).backward()
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"non-scalar tensor of shape \(2, 3\)"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="needs a grad of shape"):
        (x * 2.0).backward(np.ones(3))
    (x * 2.0).backward(np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_leaves_accumulate_and_intermediates_do_not_double() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = (x * x).tanh()
    loss = (h * x).sum()
    loss.backward()
    first = np.array(x.grad)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first)
    x.zero_grad()
    assert x.grad is None
    loss.backward()
    np.testing.assert_allclose(x.grad, first)
    zero_grad([x])
    assert x.grad is None


def test_gradients_are_private_copies() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 1.0
    y.sum().backward()
    assert x.grad is not None and y.grad is not None
    assert not np.shares_memory(x.grad, y.grad)
    x.grad *= 0.0  # an optimiser may scale a leaf's gradient in place
    np.testing.assert_array_equal(y.grad, np.ones(3))


def test_deep_tensor_graph_beyond_the_recursion_limit() -> None:
    depth = 11_000
    assert depth > sys.getrecursionlimit()
    x = Tensor([0.5, 1.0], requires_grad=True)
    y = x
    for _ in range(depth):
        y = y + x * 0.001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0 + depth * 0.001] * 2)


def test_ndarray_on_the_left_defers_to_tensor() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([10.0, 20.0]) * x + np.ones(2)
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [10.0, 20.0])


def test_repr_is_short_for_big_tensors() -> None:
    text = repr(Tensor(np.zeros((100, 100)), requires_grad=True))
    assert len(text) < 400 and "shape=(100, 100)" in text and "requires_grad=True" in text


def test_item_detach_numpy() -> None:
    x = Tensor([[2.5]], requires_grad=True)
    assert x.item() == 2.5
    d = x.detach()
    assert not d.requires_grad and np.shares_memory(d.data, x.data)
    assert x.numpy() is x.data
    with pytest.raises(ValueError, match="one element"):
        Tensor([1.0, 2.0]).item()


# ----------------------------------------------------------------------------- errors


def test_op_errors_name_the_problem() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="do not align"):
        x @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="at least one dimension"):
        x @ Tensor(2.0)
    with pytest.raises(ValueError, match="positive"):
        Tensor([1.0, 0.0]).log()
    with pytest.raises(ZeroDivisionError):
        x / Tensor([1.0, 0.0, 2.0])
    with pytest.raises(TypeError, match="constant int or float"):
        x ** Tensor(2.0)  # type: ignore[operator]
    with pytest.raises(ValueError, match="out of range"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="repeats"):
        x.sum(axis=(0, -2))
    with pytest.raises(ValueError, match="permutation|do not fit"):
        x.transpose(0, 0)
    with pytest.raises(ValueError, match="at least one tensor"):
        concatenate([])
    with pytest.raises(TypeError, match="not a Tensor"):
        stack([x, np.ones((2, 3))])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="cannot combine"):
        x + "1"  # type: ignore[operator]


def test_forward_never_mutates_inputs() -> None:
    raw = np.arange(6.0).reshape(2, 3)
    x = Tensor(raw.copy(), requires_grad=True)
    out = (x.reshape(3, 2).T * 2.0 + x.broadcast_to((4, 2, 3))[0]).relu().sum()
    out.backward()
    np.testing.assert_array_equal(x.data, raw)
