"""The one-node attention core and fused QKV == the composed MultiHeadAttention, outputs and all gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor
from minimodel.attention import MultiHeadAttention, padding_mask
from minimodel.fused_attention import fused_self_attention
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minimodel.positional import (
    apply_rope,
    precompute_rope,
    rope_phasors,
    rope_rotate,
    rope_unrotate,
)

TOL = 1e-6


def run(
    mha: MultiHeadAttention, x_np: np.ndarray, fused: bool, **kw: Any
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    mha.zero_grad()
    mha.fused = fused
    x = Tensor(x_np.copy(), requires_grad=True)
    out = mha(x, **kw)
    out.backward(np.random.default_rng(5).normal(size=out.shape))
    assert x.grad is not None and mha.last_weights is not None
    grads = {name: p.grad for name, p in mha.named_parameters() if p.grad is not None}
    grads["x"] = x.grad
    return out.data, grads, mha.last_weights.copy()


CASES = {
    "causal+rope": {"causal": True, "rope": True},
    "causal, no rope": {"causal": True, "rope": False},
    "not causal": {"causal": False, "rope": True},
    "padded+causal": {"causal": True, "rope": True, "lengths": [6, 3]},
    "left-padded, empty rows": {"causal": True, "rope": True, "left_pad": 2},
    "padded, not causal": {"causal": False, "rope": False, "lengths": [6, 4]},
}


@pytest.mark.parametrize("qkv_bias", [False, True])
@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_fused_equals_composed(case: str, qkv_bias: bool) -> None:
    spec = CASES[case]
    mha = MultiHeadAttention(12, 3, qkv_bias=qkv_bias, rng=np.random.default_rng(0))
    for b in (mha.b_q, mha.b_k, mha.b_v):
        if b is not None:
            b.data = np.random.default_rng(1).normal(size=b.shape)
    x = np.random.default_rng(2).normal(size=(2, 6, 12))  # (B, T, D) float64
    kw: dict[str, Any] = {"causal": spec["causal"]}
    if spec["rope"]:
        kw["rope"] = precompute_rope(8, 4, dtype=np.float64)
    if "lengths" in spec:
        kw["mask"] = padding_mask(spec["lengths"], 6)
    if (
        "left_pad" in spec
    ):  # row 0's first keys are pads: under the causal mask its first queries see nothing
        keys = np.ones((2, 6), dtype=bool)
        keys[0, : spec["left_pad"]] = False
        kw["mask"] = keys[:, None, None, :]
    got, got_grads, got_w = run(mha, x, True, **kw)
    want, want_grads, want_w = run(mha, x, False, **kw)
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
    np.testing.assert_allclose(got_w, want_w, atol=TOL, rtol=0)
    assert set(got_grads) == set(want_grads)
    for name in want_grads:
        np.testing.assert_allclose(
            got_grads[name], want_grads[name], atol=TOL, rtol=0, err_msg=name
        )


def test_core_gradcheck_with_rope_and_padding() -> None:
    qkv = Tensor(np.random.default_rng(3).normal(size=(2, 4, 12)), requires_grad=True)
    rope = precompute_rope(6, 2, dtype=np.float64)
    mask = padding_mask([4, 2], 4)

    def core(t: Tensor) -> Tensor:
        return fused_self_attention(t, 2, rope=rope, start=1, mask=mask, causal=True)[0]

    assert gradcheck(core, [qkv])


def test_rope_rotate_equals_apply_rope() -> None:
    x = np.random.default_rng(4).normal(size=(2, 3, 5, 8))  # (B, H, T, Dh)
    cos, sin = precompute_rope(9, 8, dtype=np.float64)
    phasors = rope_phasors(cos, sin, start=3, length=5, dtype=np.float64)  # (T, Dh/2) complex
    want = apply_rope(Tensor(x), cos, sin, start=3).data
    np.testing.assert_allclose(rope_rotate(x, phasors), want, atol=1e-12)
    strided = np.repeat(x, 2, axis=-1)[..., ::2]  # equal to x, but its last axis is not contiguous
    np.testing.assert_allclose(rope_rotate(strided, phasors), want, atol=1e-12)
    np.testing.assert_allclose(rope_unrotate(want, phasors), x, atol=1e-12)  # the inverse rotation
    assert rope_rotate(x.astype(np.float32), phasors.astype(np.complex64)).dtype == np.float32


def test_mask_that_does_not_broadcast_is_a_clear_error() -> None:
    qkv = Tensor(np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match="does not broadcast"):
        fused_self_attention(qkv, 1, mask=np.ones((3, 1, 1, 4), dtype=bool))
    with pytest.raises(ValueError, match="packed"):
        fused_self_attention(Tensor(np.zeros((2, 4, 5))), 1)


@pytest.mark.parametrize("pos", ["rope", "learned"])
def test_whole_model_gradients_fused_equal_composed(pos: str) -> None:
    cfg = MiniGPTConfig(
        vocab_size=40, d_model=16, n_heads=2, n_layers=2, d_ff=32, context_len=12, pos=pos
    )
    model = MiniGPT(cfg, rng=np.random.default_rng(6), dtype=np.float64)
    rng = np.random.default_rng(7)
    ids, targets = rng.integers(0, 40, (3, 9)), rng.integers(0, 40, (3, 9))
    keep = rng.random((3, 9)) > 0.2
    results = []
    for fused in (True, False):
        model.set_fused(fused)
        model.zero_grad()
        loss = model.loss(ids, targets, keep)
        loss.backward()
        results.append((loss.item(), {n: p.grad for n, p in model.named_parameters()}))
    (loss_f, grads_f), (loss_c, grads_c) = results
    assert loss_f == pytest.approx(loss_c, abs=1e-12)
    for name, grad in grads_c.items():
        np.testing.assert_allclose(grads_f[name], grad, atol=TOL, rtol=0, err_msg=name)


def test_shipped_grammar_checkpoint_loads_and_fused_logits_match_composed() -> None:
    from minimodel.shipped import load_shipped_model

    model = load_shipped_model("grammar").model
    assert isinstance(model, MiniGPT)
    ids = np.random.default_rng(8).integers(0, model.cfg.vocab_size, (3, 20))
    pad = np.ones((3, 20), dtype=bool)
    pad[1, 14:] = False
    fused = model.set_fused(True)(ids, pad_mask=pad).data
    composed = model.set_fused(False)(ids, pad_mask=pad).data
    model.set_fused(True)
    assert fused.dtype == np.float32
    np.testing.assert_allclose(fused, composed, atol=1e-5, rtol=0)
