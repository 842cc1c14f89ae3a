from __future__ import annotations

import numpy as np
import pytest

from minigrad.tensor import Tensor
from minimodel.attention import (
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from minimodel.labs.phase15_attention import post_softmax_masked
from minimodel.positional import precompute_rope, sinusoidal


def make(d_model: int = 8, n_heads: int = 2, seed: int = 0, **kw: bool) -> MultiHeadAttention:
    return MultiHeadAttention(d_model, n_heads, rng=np.random.default_rng(seed), **kw)


@pytest.mark.parametrize("qkv_bias", [False, True])
def test_matches_torch_multihead_attention(qkv_bias: bool) -> None:
    torch = pytest.importorskip("torch", reason="torch is an optional oracle")
    mha = make(8, 2, qkv_bias=qkv_bias)
    biases = [b for b in (mha.b_q, mha.b_k, mha.b_v) if b is not None]
    assert len(biases) == (3 if qkv_bias else 0)
    assert mha.num_parameters() == 4 * 64 + len(biases) * 8
    for b in biases:
        b.data = np.random.default_rng(9).standard_normal(8)
    x_np = np.random.default_rng(1).standard_normal((2, 5, 8))  # (B, T, D)
    keep = causal_mask(5) & padding_mask([5, 3], 5)  # (B, 1, T, T) True = may attend
    x = Tensor(x_np, requires_grad=True)
    out = mha(x, mask=padding_mask([5, 3], 5), causal=True)
    upstream = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(upstream)

    ref = torch.nn.MultiheadAttention(8, 2, bias=qkv_bias, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.tensor(np.concatenate([mha.w_q.data.T, mha.w_k.data.T, mha.w_v.data.T]))
        )
        ref.out_proj.weight.copy_(torch.tensor(mha.w_o.data.T))
        if qkv_bias:
            ref.in_proj_bias.copy_(torch.tensor(np.concatenate([b.data for b in biases])))
            ref.out_proj.bias.zero_()
    tx = torch.tensor(x_np, requires_grad=True)
    # torch's boolean attn_mask marks what may NOT be attended, one (T, T) per batch·head
    blocked = torch.tensor(~np.broadcast_to(keep, (2, 2, 5, 5)).reshape(4, 5, 5))
    expected, _ = ref(tx, tx, tx, attn_mask=blocked, need_weights=False)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(mha.w_o.grad, ref.out_proj.weight.grad.numpy().T, atol=1e-12)
    w_in = ref.in_proj_weight.grad.numpy()
    for i, w in enumerate((mha.w_q, mha.w_k, mha.w_v)):
        np.testing.assert_allclose(w.grad, w_in[8 * i : 8 * (i + 1)].T, atol=1e-12)


def test_single_head_equals_the_plain_function() -> None:
    mha = make(4, 1, seed=42)
    x = Tensor(np.random.default_rng(3).standard_normal((1, 6, 4)))
    q, k, v = (x @ w for w in (mha.w_q, mha.w_k, mha.w_v))
    expected, _ = scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(mha(x).data, (expected @ mha.w_o).data, atol=1e-12)


def test_causality_by_perturbation_and_the_broken_mask_is_caught() -> None:
    mha = make(16, 2, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 8, 16))
    x2 = x.copy()
    x2[0, 7] = np.random.default_rng(1).standard_normal(16)
    y, y2 = mha(Tensor(x), causal=True).data, mha(Tensor(x2), causal=True).data
    assert np.max(np.abs(y[0, :7] - y2[0, :7])) < 1e-8
    assert np.max(np.abs(y[0, 7] - y2[0, 7])) > 1e-3
    # the classic wrong mask (softmax over every key, then zero the future) leaks: the probe catches it
    broken = post_softmax_masked(mha, Tensor(x)).data
    broken2 = post_softmax_masked(mha, Tensor(x2)).data
    assert np.max(np.abs(broken[0, :7] - broken2[0, :7])) > 1e-3


def test_padding_mask_hides_padded_keys() -> None:
    mha = make(8, 2, seed=5)
    x = np.random.default_rng(4).standard_normal((1, 5, 8))
    x2 = x.copy()
    x2[0, 3:] = 100.0  # junk in the padded positions
    pad = padding_mask([3], 5)
    y, y2 = mha(Tensor(x), mask=pad).data, mha(Tensor(x2), mask=pad).data
    np.testing.assert_allclose(y[0, :3], y2[0, :3], atol=1e-10)
    assert mha.last_weights is not None and np.all(mha.last_weights[..., 3:] < 1e-12)


def test_permutation_equivariance_without_positions_and_broken_by_them() -> None:
    mha = make(8, 1, seed=0)
    x = np.random.default_rng(7).standard_normal((1, 3, 8))
    perm = [2, 0, 1]
    y = mha(Tensor(x)).data
    np.testing.assert_allclose(mha(Tensor(x[:, perm])).data, y[:, perm], atol=1e-6)
    pe = sinusoidal(3, 8, dtype=np.float64)
    y_pe = mha(Tensor(x + pe)).data
    assert not np.allclose(mha(Tensor(x[:, perm] + pe)).data, y_pe[:, perm], atol=1e-3)
    cos, sin = precompute_rope(3, 8, dtype=np.float64)
    y_rope = mha(Tensor(x), rope=(cos, sin)).data
    assert not np.allclose(
        mha(Tensor(x[:, perm]), rope=(cos, sin)).data, y_rope[:, perm], atol=1e-3
    )


def test_bad_configuration_and_input() -> None:
    with pytest.raises(ValueError, match="multiple of n_heads"):
        make(10, 4)
    with pytest.raises(ValueError, match=r"expects \(B, T, 8\)"):
        make()(Tensor(np.ones((5, 8))))
