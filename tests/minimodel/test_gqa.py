"""Phase 27: grouped/multi-query attention and sliding-window attention in the MiniGPT — shapes, bytes, exactness."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from minigrad.tensor import Tensor
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.attention import MultiHeadAttention, padding_mask, sliding_window_mask
from minimodel.infer import FastMiniGPT
from minimodel.kv_cache import kv_cache_bytes
from minimodel.mini_gpt import (
    MiniGPT,
    MiniGPTConfig,
    closed_form_param_count,
    named_config,
    param_inventory,
)
from minimodel.positional import precompute_rope

TOL = 1e-6
SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)


def _model(cfg: MiniGPTConfig, seed: int = 0, dtype: Any = np.float64) -> MiniGPT:
    model = MiniGPT(cfg, rng=np.random.default_rng(seed), dtype=dtype)
    model.tok_emb.weight.data *= 20.0  # decisive logits, so greedy picks are not near-ties
    return model


# ----------------------------------------------------------------------------- config and parameters


def test_default_kv_heads_is_exactly_the_mha_model() -> None:
    plain = _model(SMALL)
    explicit = _model(replace(SMALL, n_kv_heads=SMALL.n_heads))
    a, b = plain.state_dict(), explicit.state_dict()
    assert list(a) == list(b)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    ids = np.random.default_rng(1).integers(0, 37, size=(2, 9))
    np.testing.assert_array_equal(plain.forward(ids).data, explicit.forward(ids).data)


def test_unset_fields_stay_out_of_the_config_dict() -> None:
    assert set(SMALL.to_dict()).isdisjoint({"n_kv_heads", "sliding_window"})
    cfg = replace(SMALL, n_kv_heads=2, sliding_window=5)
    data = cfg.to_dict()
    assert data["n_kv_heads"] == 2 and data["sliding_window"] == 5
    assert MiniGPTConfig.from_dict(data) == cfg


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"n_kv_heads": 3}, "divide"),
        ({"n_kv_heads": 0}, "n_kv_heads"),
        ({"sliding_window": 0}, "sliding_window"),
        ({"n_kv_heads": True}, "n_kv_heads"),
    ],
)
def test_bad_configs_are_refused(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        replace(SMALL, **kw)


@pytest.mark.parametrize("kv_heads", [1, 2, 4])
@pytest.mark.parametrize("qkv_bias", [False, True])
def test_closed_form_counts_the_gqa_model(kv_heads: int, qkv_bias: bool) -> None:
    cfg = replace(SMALL, n_kv_heads=kv_heads, qkv_bias=qkv_bias)
    model = MiniGPT(cfg, rng=np.random.default_rng(0))
    assert sum(param_inventory(model).values()) == closed_form_param_count(cfg)
    attn = model.blocks[0].attn
    assert attn.w_k.shape == attn.w_v.shape == (24, kv_heads * 6)


def test_mqa_saves_two_times_h_minus_one_head_projections_per_layer() -> None:
    # the seed's check: MQA removes 2 · (H − 1) · Dh · D weights per layer
    tiny = named_config("tiny", 512)
    saved = closed_form_param_count(tiny) - closed_form_param_count(replace(tiny, n_kv_heads=1))
    assert saved == tiny.n_layers * 2 * (tiny.n_heads - 1) * tiny.d_head * tiny.d_model == 12288


# ----------------------------------------------------------------------------- attention exactness


def _repeated_mha(gqa: MultiHeadAttention) -> MultiHeadAttention:
    """The MHA whose key/value heads are the GQA ones, each repeated for its group (the hand-derived twin)."""
    mha = MultiHeadAttention(
        gqa.d_model, gqa.n_heads, window=gqa.window, rng=np.random.default_rng(0)
    )
    groups, dh = gqa.n_heads // gqa.n_kv_heads, gqa.d_head
    heads = np.repeat(np.arange(gqa.n_kv_heads), groups)
    cols = (
        heads[:, None] * dh + np.arange(dh)[None, :]
    ).ravel()  # (D,) source column per MHA column
    mha.w_q.data, mha.w_o.data = gqa.w_q.data.copy(), gqa.w_o.data.copy()
    mha.w_k.data, mha.w_v.data = gqa.w_k.data[:, cols].copy(), gqa.w_v.data[:, cols].copy()
    return mha


@pytest.mark.parametrize("window", [None, 3])
@pytest.mark.parametrize("kv_heads", [1, 2])
def test_gqa_equals_mha_with_repeated_kv_heads(kv_heads: int, window: int | None) -> None:
    gqa = MultiHeadAttention(
        24, 4, n_kv_heads=kv_heads, window=window, rng=np.random.default_rng(3)
    )
    mha = _repeated_mha(gqa)
    x = Tensor(np.random.default_rng(4).normal(size=(2, 7, 24)))
    rope = precompute_rope(16, 6, dtype=np.float64)
    for fused in (True, False):
        gqa.fused = mha.fused = fused
        np.testing.assert_allclose(
            gqa(x, causal=True, rope=rope).data, mha(x, causal=True, rope=rope).data, atol=1e-12
        )


CASES: dict[str, dict[str, Any]] = {
    "mqa, rope": {"kv": 1, "rope": True},
    "gqa-2, rope, window 3": {"kv": 2, "rope": True, "window": 3},
    "gqa-2, no rope, padded": {"kv": 2, "rope": False, "lengths": [6, 4]},
    "gqa-2, bias, window 2, left pad": {
        "kv": 2,
        "rope": True,
        "window": 2,
        "left": 2,
        "bias": True,
    },
}


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_fused_gqa_equals_composed_outputs_and_gradients(case: str) -> None:
    spec = CASES[case]
    mha = MultiHeadAttention(
        24,
        4,
        n_kv_heads=spec["kv"],
        window=spec.get("window"),
        qkv_bias=spec.get("bias", False),
        rng=np.random.default_rng(0),
    )
    for b in (mha.b_q, mha.b_k, mha.b_v):
        if b is not None:
            b.data = np.random.default_rng(1).normal(size=b.shape)
    x_np = np.random.default_rng(2).normal(size=(2, 6, 24))
    kw: dict[str, Any] = {"causal": True}
    if spec["rope"]:
        kw["rope"] = precompute_rope(16, 6, dtype=np.float64)
    if "lengths" in spec:
        kw["mask"] = padding_mask(spec["lengths"], 6)
    if "left" in spec:
        keys = np.ones((2, 6), dtype=bool)
        keys[0, : spec["left"]] = False
        kw["mask"] = keys[:, None, None, :]
    results = []
    for fused in (True, False):
        mha.zero_grad()
        mha.fused = fused
        x = Tensor(x_np.copy(), requires_grad=True)
        out = mha(x, **kw)
        out.backward(np.random.default_rng(5).normal(size=out.shape))
        grads = {n: p.grad.copy() for n, p in mha.named_parameters() if p.grad is not None}
        assert x.grad is not None
        results.append((out.data, grads, x.grad.copy()))
    (o1, g1, x1), (o2, g2, x2) = results
    np.testing.assert_allclose(o1, o2, rtol=0, atol=TOL)
    np.testing.assert_allclose(x1, x2, rtol=0, atol=TOL)
    assert set(g1) == set(g2)
    for name in g1:
        np.testing.assert_allclose(g1[name], g2[name], rtol=0, atol=TOL, err_msg=name)


@pytest.mark.parametrize("kv_heads", [1, 2])
def test_gqa_equals_torch_sdpa(kv_heads: int) -> None:
    torch = pytest.importorskip("torch", reason="torch is the oracle for grouped-query attention")
    functional = torch.nn.functional
    mha = MultiHeadAttention(24, 4, n_kv_heads=kv_heads, rng=np.random.default_rng(6))
    x_np = np.random.default_rng(7).normal(size=(2, 9, 24))
    x = Tensor(x_np, requires_grad=True)
    out = mha(x, causal=True)
    upstream = np.random.default_rng(8).normal(size=out.shape)
    out.backward(upstream)

    tx = torch.from_numpy(x_np.copy()).requires_grad_(True)
    w = {
        n: torch.from_numpy(getattr(mha, n).data.copy()).requires_grad_(True)
        for n in ("w_q", "w_k", "w_v", "w_o")
    }

    def heads(t: Any) -> Any:
        return t.view(2, 9, -1, 6).transpose(1, 2)  # (B, heads, T, Dh)

    q, k, v = heads(tx @ w["w_q"]), heads(tx @ w["w_k"]), heads(tx @ w["w_v"])
    try:
        o = functional.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    except TypeError:  # torch < 2.5 has no enable_gqa: repeat each key/value head for its group
        g = 4 // kv_heads
        o = functional.scaled_dot_product_attention(
            q, k.repeat_interleave(g, 1), v.repeat_interleave(g, 1), is_causal=True
        )
    ref = o.transpose(1, 2).reshape(2, 9, 24) @ w["w_o"]
    ref.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=0, atol=TOL)
    assert x.grad is not None
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=0, atol=TOL)
    for name, tensor in w.items():
        np.testing.assert_allclose(getattr(mha, name).grad, tensor.grad.numpy(), rtol=0, atol=TOL)


# ----------------------------------------------------------------------------- sliding window


def test_sliding_window_mask_and_locality() -> None:
    np.testing.assert_array_equal(
        sliding_window_mask(4, 2),
        [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]],
    )
    mha = MultiHeadAttention(24, 4, n_kv_heads=2, window=3, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(1, 10, 24))
    x2 = x.copy()
    x2[0, 2] += 1.0  # position 2 is out of reach (≥ 3 back) from position 5 on
    y, y2 = mha(Tensor(x), causal=True).data, mha(Tensor(x2), causal=True).data
    np.testing.assert_allclose(y[0, 5:], y2[0, 5:], atol=1e-14)
    assert np.abs(y[0, 2:5] - y2[0, 2:5]).min() > 1e-6


def test_a_window_as_long_as_the_context_changes_nothing() -> None:
    ids = np.random.default_rng(2).integers(0, 37, size=(2, 16))
    a = _model(SMALL).forward(ids).data
    b = _model(replace(SMALL, sliding_window=16)).forward(ids).data
    np.testing.assert_array_equal(a, b)
    c = _model(replace(SMALL, sliding_window=4)).forward(ids).data
    assert np.abs(a - c).max() > 1e-3


# ----------------------------------------------------------------------------- KV cache: shapes, bytes, decoding

VARIANTS = {
    "gqa-2": {"n_kv_heads": 2},
    "mqa": {"n_kv_heads": 1},
    "window 5": {"sliding_window": 5},
    "gqa-2, window 3": {"n_kv_heads": 2, "sliding_window": 3},
}


@pytest.mark.parametrize("kv_heads", [4, 2, 1])
def test_kv_cache_holds_kv_heads_and_the_seed_bytes(kv_heads: int) -> None:
    # the seed's Mini-GPT attention: L=2, H=4, Dh=16, fp32 → 1024 / 512 / 256 bytes per token
    cfg = replace(named_config("tiny", 64), context_len=64, n_kv_heads=kv_heads)
    model = MiniGPT(cfg, rng=np.random.default_rng(0))
    model.prefill(np.zeros((1, 64), dtype=np.int64))
    keys, values = model.kv_cache.append(
        0, np.zeros((1, kv_heads, 0, 16), np.float32), np.zeros((1, kv_heads, 0, 16), np.float32)
    )
    assert keys.shape == values.shape == (1, kv_heads, 64, 16)  # (B, H_kv, T, Dh)
    per_token = {4: 1024, 2: 512, 1: 256}[kv_heads]
    assert (
        model.kv_cache.nbytes
        == 64 * per_token
        == kv_cache_bytes(n_layers=2, batch=1, n_heads=kv_heads, length=64, d_head=16)
    )
    fast = FastMiniGPT(model)
    fast.prefill(np.zeros((3, 10), dtype=np.int64))
    assert fast._keys is not None and fast._keys.shape == (2, 3, kv_heads, 64, 16)


@pytest.mark.parametrize("variant", list(VARIANTS), ids=str)
def test_cached_decoding_equals_the_forward(variant: str) -> None:
    model = _model(replace(SMALL, **VARIANTS[variant]))
    seq = np.random.default_rng(3).integers(0, 37, size=(2, 14))
    full = model.forward(seq).data  # (B, T, V)
    fast = FastMiniGPT(model)
    np.testing.assert_allclose(fast(seq), full, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.prefill(seq[:, :5]).data, full[:, :5], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.prefill(seq[:, :5]), full[:, :5], rtol=0, atol=1e-9)
    for t in range(5, 14):
        step = model.decode(seq[:, t : t + 1]).data[:, 0]
        np.testing.assert_allclose(step, full[:, t], rtol=0, atol=1e-9, err_msg=f"graph t={t}")
        step = fast.decode(seq[:, t : t + 1])[:, 0]
        np.testing.assert_allclose(step, full[:, t], rtol=0, atol=1e-9, err_msg=f"fast t={t}")


@pytest.mark.parametrize("variant", list(VARIANTS), ids=str)
def test_greedy_generation_same_with_and_without_cache(variant: str) -> None:
    model = _model(replace(SMALL, **VARIANTS[variant]), seed=4, dtype=np.float32)
    kw: dict[str, Any] = {"max_new_tokens": 20, "strategy": Greedy(), "seed": 0}
    assert generate(model, [1, 2, 3], cache=True, **kw) == generate(
        model, [1, 2, 3], cache=False, **kw
    )


def test_sliding_past_the_context_with_a_window_is_the_banded_forward() -> None:
    # context 8, window 3: after the cache wraps, decode must still read only the 3 newest positions
    cfg = replace(SMALL, context_len=8, sliding_window=3, n_layers=1)
    model = _model(cfg)
    seq = np.random.default_rng(5).integers(0, 37, size=(1, 12))
    big = _model(
        replace(cfg, context_len=12)
    )  # same weights (RoPE tables only depend on positions)
    fast = FastMiniGPT(model)
    fast.prefill(seq[:, :4])
    full = big.forward(seq).data
    for t in range(4, 12):
        np.testing.assert_allclose(
            fast.decode(seq[:, t : t + 1], slide=True)[:, 0], full[:, t], rtol=0, atol=1e-9
        )


@pytest.mark.parametrize("variant", list(VARIANTS), ids=str)
def test_torch_port_equals_the_graph(variant: str) -> None:
    torch = pytest.importorskip("torch", reason="the PyTorch port is an oracle")
    tm = pytest.importorskip("minimodel.torch_minigpt")
    cfg = replace(SMALL, **VARIANTS[variant])
    ours = _model(cfg)
    theirs = tm.GrammarMiniGPT(cfg).to(torch.float64)
    tm.load_numpy_state(theirs, ours.state_dict())
    seq = np.random.default_rng(6).integers(0, 37, size=(2, 12))
    with torch.no_grad():
        ref = theirs(torch.from_numpy(seq)).numpy()
    np.testing.assert_allclose(ours.forward(seq).data, ref, rtol=0, atol=1e-9)
    cached = tm.CachedTorchMiniGPT(theirs)
    cached.prefill(seq[:, :6])
    step = cached.decode(seq[:, 6:7]).numpy()
    np.testing.assert_allclose(step[:, 0], ref[:, 6], rtol=0, atol=1e-9)
