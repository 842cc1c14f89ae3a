from __future__ import annotations

import numpy as np
import pytest

from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor
from minimodel.attention import causal_mask, padding_mask, scaled_dot_product_attention


def qkv(
    seed: int = 0, shape: tuple[int, ...] = (2, 3, 5, 4)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape)


def test_masks() -> None:
    np.testing.assert_array_equal(causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
    pad = padding_mask([2, 3], 3)
    assert pad.shape == (2, 1, 1, 3)
    np.testing.assert_array_equal(pad[:, 0, 0], [[1, 1, 0], [1, 1, 1]])
    with pytest.raises(ValueError, match="lengths must lie in 0..3"):
        padding_mask([4], 3)


def test_weights_are_distributions_and_respect_the_mask() -> None:
    q, k, v = qkv()
    out, weights = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), causal_mask(5))
    np.testing.assert_allclose(weights.data.sum(-1), 1.0)
    assert np.all(weights.data[..., np.triu_indices(5, 1)[0], np.triu_indices(5, 1)[1]] < 1e-12)
    assert out.shape == (2, 3, 5, 4)


def test_causality_by_perturbation() -> None:
    q, k, v = qkv(1)
    base, _ = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), causal_mask(5))
    k2, v2 = k.copy(), v.copy()
    k2[..., 3:, :] += 10.0
    v2[..., 3:, :] -= 7.0
    changed, _ = scaled_dot_product_attention(Tensor(q), Tensor(k2), Tensor(v2), causal_mask(5))
    np.testing.assert_allclose(changed.data[..., :3, :], base.data[..., :3, :], atol=1e-8)
    assert not np.allclose(changed.data[..., 3:, :], base.data[..., 3:, :])
    leaky, _ = scaled_dot_product_attention(
        Tensor(q), Tensor(k2), Tensor(v2)
    )  # no mask: the future leaks
    assert not np.allclose(leaky.data[..., :3, :], base.data[..., :3, :], atol=1e-8)


def test_fully_masked_row_is_uniform_not_nan() -> None:
    q, k, v = qkv(2, (1, 3, 4))
    mask = np.ones((3, 3), dtype=bool)
    mask[1] = False
    _, weights = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), mask)
    np.testing.assert_allclose(weights.data[0, 1], 1 / 3)


def test_gradients() -> None:
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv(3, (2, 4, 3)))
    mask = causal_mask(4)
    assert gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, mask)[0], [q, k, v])


def test_matches_torch_forward_and_backward() -> None:
    torch = pytest.importorskip("torch", reason="torch is an optional oracle")
    q, k, v = qkv(4)
    mask = causal_mask(5) & padding_mask([5, 3], 5)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    expected = torch.nn.functional.scaled_dot_product_attention(
        tq, tk, tv, attn_mask=torch.tensor(mask)
    )
    upstream = np.random.default_rng(5).standard_normal(expected.shape)
    expected.backward(torch.tensor(upstream))
    mq, mk, mv = (Tensor(a, requires_grad=True) for a in (q, k, v))
    out, _ = scaled_dot_product_attention(mq, mk, mv, mask)
    out.backward(upstream)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-10)
    for ours, theirs in ((mq, tq), (mk, tk), (mv, tv)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-10)


def test_shape_errors() -> None:
    q, k, v = qkv()
    with pytest.raises(ValueError, match="same feature size"):
        scaled_dot_product_attention(Tensor(q), Tensor(k[..., :3]), Tensor(v))
    with pytest.raises(ValueError, match="same length"):
        scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v[..., :4, :]))
    with pytest.raises(ValueError, match="does not broadcast"):
        scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), np.ones((4, 4), dtype=bool))
