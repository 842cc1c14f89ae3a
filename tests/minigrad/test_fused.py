"""Fused one-node ops == the composed graphs they replace, forward and every gradient, to 1e-6 in float64."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from minigrad.functional import cross_entropy, softmax
from minigrad.fused import embedding, layer_norm, linear, rms_norm
from minigrad.gradcheck import gradcheck
from minigrad.nn import GELU, Embedding, LayerNorm, Linear, RMSNorm
from minigrad.tensor import Tensor

F64 = np.float64
TOL = 1e-6


def leaves(arrays: Sequence[np.ndarray]) -> list[Tensor]:
    return [Tensor(a.copy(), requires_grad=True) for a in arrays]


def run(
    fn: Callable[..., Tensor], arrays: Sequence[np.ndarray], seed: int = 7
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output and input gradients under a fixed non-uniform upstream gradient."""
    inputs = leaves(arrays)
    out = fn(*inputs)
    out.backward(np.random.default_rng(seed).normal(size=out.shape))
    grads = []
    for t in inputs:
        assert t.grad is not None
        grads.append(t.grad)
    return out.data, grads


def assert_same(
    fused: Callable[..., Tensor], composed: Callable[..., Tensor], arrays: Sequence[np.ndarray]
) -> None:
    got, got_grads = run(fused, arrays)
    want, want_grads = run(composed, arrays)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
    for g, w in zip(got_grads, want_grads, strict=True):
        np.testing.assert_allclose(g, w, atol=TOL, rtol=0)


def normal(*shape: int, seed: int = 0, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc, scale, size=shape)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
def test_linear_equals_matmul_plus_bias(shape: tuple[int, ...]) -> None:
    x, w, b = normal(*shape, seed=1), normal(2, 3, seed=2), normal(2, seed=3)
    assert_same(linear, lambda x, w, b: x @ w.T + b, [x, w, b])
    assert_same(lambda x, w: linear(x, w), lambda x, w: x @ w.T, [x, w])


def test_linear_rejects_mismatched_features() -> None:
    with pytest.raises(ValueError, match="last axis must be 3"):
        linear(Tensor(np.ones((2, 4))), Tensor(np.ones((5, 3))))


@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_equals_the_composed_layer(affine: str) -> None:
    layer = LayerNorm(6, dtype=F64, elementwise_affine=affine != "none", bias=affine == "both")
    x = normal(3, 4, 6, seed=4, loc=2.0, scale=3.0)
    params = [normal(6, seed=5, loc=1.0), normal(6, seed=6)][
        : {"both": 2, "weight": 1}.get(affine, 0)
    ]

    def with_params(fn: Callable[[Tensor], Tensor]) -> Callable[..., Tensor]:
        def call(x: Tensor, *ps: Tensor) -> Tensor:
            layer.weight, layer.bias = (list(ps) + [None, None])[:2]  # type: ignore[assignment]
            return fn(x)

        return call

    assert_same(with_params(layer.forward), with_params(layer.composed), [x, *params])
    assert layer.fused


@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_equals_the_composed_layer(affine: bool) -> None:
    layer = RMSNorm(5, dtype=F64, elementwise_affine=affine)
    x = normal(7, 5, seed=8, loc=0.5, scale=2.0)

    def with_weight(fn: Callable[[Tensor], Tensor]) -> Callable[..., Tensor]:
        def call(x: Tensor, *w: Tensor) -> Tensor:
            layer.weight = w[0] if w else None  # type: ignore[assignment]
            return fn(x)

        return call

    params = [normal(5, seed=9, loc=1.0)] if affine else []
    assert_same(with_weight(layer.forward), with_weight(layer.composed), [x, *params])


def test_fused_switch_selects_the_composed_norm() -> None:
    layer = LayerNorm(4, dtype=F64)
    x = Tensor(normal(2, 4, seed=10), requires_grad=True)
    assert layer(x)._op == "layer_norm"
    layer.fused = False
    assert layer(x)._op != "layer_norm"


def test_norms_gradcheck_with_parameters() -> None:
    x = Tensor(normal(3, 5, seed=11), requires_grad=True)
    w, b = (
        Tensor(normal(5, seed=12), requires_grad=True),
        Tensor(normal(5, seed=13), requires_grad=True),
    )
    assert gradcheck(lambda x, w, b: layer_norm(x, w, b), [x, w, b])
    assert gradcheck(lambda x, w: rms_norm(x, w), [x, w])


def test_embedding_scatter_adds_repeated_ids() -> None:
    table = normal(6, 3, seed=14)
    ids = np.array([[0, 2, 2], [5, 0, 2]])
    assert_same(lambda w: embedding(w, ids), lambda w: w[ids], [table])
    grads = run(lambda w: embedding(w, ids), [table])[1][0]
    assert np.all(grads[[1, 3, 4]] == 0.0)  # ids never looked up get no gradient
    layer = Embedding(6, 3, rng=np.random.default_rng(0), dtype=F64)
    np.testing.assert_array_equal(layer(ids).data, layer.weight.data[ids])


def test_embedding_of_no_ids_has_a_zero_gradient() -> None:
    table = Tensor(normal(4, 2, seed=15), requires_grad=True)
    out = embedding(table, np.zeros((0,), dtype=np.intp))
    assert out.shape == (0, 2)
    out.backward(np.zeros((0, 2)))
    np.testing.assert_array_equal(table.grad, np.zeros((4, 2)))


def gelu_composed(x: Tensor) -> Tensor:
    c = math.sqrt(2.0 / math.pi)
    return 0.5 * x * (1.0 + (c * (x + 0.044715 * (x * x * x))).tanh())


def test_gelu_equals_its_composed_formula() -> None:
    x = normal(4, 9, seed=16, scale=3.0)
    x[0, :3] = [-12.0, 0.0, 12.0]  # both saturated tails and the origin
    assert_same(lambda t: t.gelu(), gelu_composed, [x])
    assert gradcheck(GELU(), leaves([normal(3, 4, seed=17)]))


def softmax_composed(x: Tensor) -> Tensor:
    e = (x - Tensor(x.data.max(axis=-1, keepdims=True))).exp()
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_equals_its_composed_formula() -> None:
    assert_same(softmax, softmax_composed, [normal(2, 3, 7, seed=18, scale=4.0)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_equals_log_softmax_picked(reduction: str) -> None:
    x = normal(2, 5, 7, seed=19, scale=3.0)
    t = np.random.default_rng(20).integers(0, 7, size=(2, 5))
    t[0, 1] = t[1, 4] = -1  # ignored
    keep = t != -1
    rows, cols = np.nonzero(keep)

    def composed(z: Tensor) -> Tensor:
        logp = (softmax_composed(z)).log()  # (2, 5, 7)
        picked = -logp[rows, cols, t[keep]]  # (kept,)
        if reduction == "none":  # back to (2, 5), ignored positions 0
            onehot = np.zeros((2, 5, len(rows)))
            onehot[rows, cols, np.arange(len(rows))] = 1.0
            return (Tensor(onehot) * picked).sum(axis=-1)
        return picked.sum() if reduction == "sum" else picked.mean()

    assert_same(
        lambda z: cross_entropy(z, t, reduction=reduction, ignore_index=-1),  # type: ignore[arg-type]
        composed,
        [x],
    )


def test_float32_stays_float32_through_every_fused_op() -> None:
    rng = np.random.default_rng(21)
    x = Tensor(rng.normal(size=(2, 3, 4)).astype(np.float32), requires_grad=True)
    layer = Linear(4, 4, rng=rng)
    norm, rms = LayerNorm(4), RMSNorm(4)
    emb = Embedding(5, 4, rng=rng)
    h = rms(norm(layer(x).gelu())) + emb(np.array([[0, 1, 2], [3, 4, 0]]))
    loss = cross_entropy(h, np.zeros((2, 3), dtype=int))
    assert h.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    for t in (x, layer.weight, norm.weight, rms.weight, emb.weight):
        assert t.grad is not None and t.grad.dtype == np.float32
