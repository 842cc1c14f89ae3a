"""The array inference path == the training graph: logits to 1e-5, greedy tokens equal; the sliding window."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from minigrad.tensor import no_grad
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.infer import FastMiniGPT, as_fast
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minimodel.positional import precompute_rope

BASE = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=3, n_layers=2, d_ff=40, context_len=12)
CONFIGS = {
    "rope+layernorm": BASE,
    "rmsnorm, no biases": replace(BASE, norm="rmsnorm", ffn_bias=False),
    "sinusoidal, untied, qkv bias": replace(
        BASE, pos="sinusoidal", tie_embeddings=False, qkv_bias=True
    ),
    "learned": replace(BASE, pos="learned"),
}


def model_for(cfg: MiniGPTConfig, seed: int = 0) -> MiniGPT:
    model = MiniGPT(cfg, rng=np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    for param in model.parameters():  # non-trivial gains and biases, decisive logits
        if param.ndim == 1:
            param.data = (param.data + 0.2 * rng.standard_normal(param.shape)).astype(np.float32)
    model.tok_emb.weight.data = model.tok_emb.weight.data * 20.0
    if not cfg.tie_embeddings:
        model.lm_head.weight.data = model.lm_head.weight.data * 20.0
    return model


@pytest.mark.parametrize("name", list(CONFIGS))
def test_forward_prefill_and_decode_logits_equal_the_graph(name: str) -> None:
    model = model_for(CONFIGS[name])
    fast = FastMiniGPT(model)
    ids = np.random.default_rng(2).integers(0, 37, (3, 12))
    want = model(ids).data  # (B, T, V)
    np.testing.assert_allclose(fast(ids), want, atol=1e-5, rtol=0)
    got = fast.prefill(ids[:, :5])
    assert got.dtype == np.float32 and got.shape == (3, 5, 37)
    np.testing.assert_allclose(got, want[:, :5], atol=1e-5, rtol=0)
    np.testing.assert_allclose(fast.prefill(ids[:, :5], last_only=True), want[:, 4:5], atol=1e-5)
    np.testing.assert_allclose(fast.decode(ids[:, 5:8]), want[:, 5:8], atol=1e-5, rtol=0)
    for t in range(8, 12):
        np.testing.assert_allclose(fast.decode(ids[:, t : t + 1]), want[:, t : t + 1], atol=1e-5)
    assert fast.length == 12


@pytest.mark.parametrize("name", list(CONFIGS))
def test_greedy_tokens_equal_the_graph_path(name: str) -> None:
    model = model_for(CONFIGS[name], seed=3)
    seen: set[int] = set()
    rng = np.random.default_rng(4)
    for prompt in [rng.integers(0, 37, n).tolist() for n in (1, 3, 5, 8, 11, 12)]:
        kw = {"max_new_tokens": 20, "strategy": Greedy(), "seed": 0}  # past the 12-position window
        fast = generate(model, prompt, cache=True, **kw)  # type: ignore[arg-type]
        graph = generate(model, prompt, cache=False, **kw)  # type: ignore[arg-type]
        assert fast == graph
        seen.update(fast)
    assert len(seen) >= 4  # not one degenerate repetition: a wrong logit would show


def test_shipped_checkpoint_same_logits_and_tokens() -> None:
    from minimodel.shipped import load_shipped_model

    model = load_shipped_model("grammar").model
    fast = FastMiniGPT(model)
    ids = np.random.default_rng(4).integers(0, model.cfg.vocab_size, (2, 30))
    want = model(ids).data
    np.testing.assert_allclose(fast(ids), want, atol=1e-5, rtol=0)
    fast.prefill(ids[:, :20])
    np.testing.assert_allclose(fast.decode(ids[:, 20:21]), want[:, 20:21], atol=1e-5, rtol=0)
    prompt = ids[0, :12].tolist()
    kw = {"max_new_tokens": 24, "strategy": Greedy(), "seed": 0}
    assert generate(model, prompt, cache=True, **kw) == generate(model, prompt, cache=False, **kw)  # type: ignore[arg-type]


def test_right_padding_leaves_real_positions_alone() -> None:
    model = model_for(BASE, seed=12)
    ids = np.random.default_rng(13).integers(0, 37, (2, 9))
    padded = np.concatenate(
        [ids, np.zeros((2, 3), dtype=ids.dtype)], axis=1
    )  # three pads on the right
    fast = FastMiniGPT(model)
    np.testing.assert_allclose(
        fast(padded)[:, :9], fast(ids), atol=1e-5, rtol=0
    )  # GEMM rounding only


def test_decode_with_many_new_tokens_matches_prefilling_them() -> None:
    model = model_for(BASE, seed=5)
    ids = np.random.default_rng(6).integers(0, 37, (2, 10))
    a, b = FastMiniGPT(model), FastMiniGPT(model)
    a.prefill(ids[:, :4])
    np.testing.assert_allclose(a.decode(ids[:, 4:]), b.prefill(ids)[:, 4:], atol=1e-5, rtol=0)


def test_keep_rows_drops_finished_sequences() -> None:
    model = model_for(BASE, seed=7)
    ids = np.random.default_rng(8).integers(0, 37, (4, 6))
    fast = FastMiniGPT(model)
    fast.prefill(ids[:, :5])
    fast.keep_rows([0, 2])
    got = fast.decode(ids[[0, 2], 5:6])
    np.testing.assert_allclose(got, model(ids[[0, 2]]).data[:, 5:6], atol=1e-5, rtol=0)


def sliding_reference(model: MiniGPT, seq: list[int], window: int) -> np.ndarray:
    """The graph over the whole sequence with banded causal attention (keys i - window < j <= i)."""
    n = len(seq)
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    band = (j <= i) & (j > i - window)  # (N, N)
    saved = model.rope
    model.rope = precompute_rope(
        n, model.cfg.d_head, dtype=model.dtype
    )  # positions past context_len
    try:
        with no_grad():
            logits = model._logits(np.array([seq]), mask=band[None, None]).data  # (1, N, V)
    finally:
        model.rope = saved
    out: np.ndarray = logits[0]
    return out


def test_sliding_window_decode_is_banded_attention_over_the_whole_sequence() -> None:
    model = model_for(BASE, seed=9)
    seq = np.random.default_rng(10).integers(0, 37, 30).tolist()
    fast = FastMiniGPT(model)
    fast.prefill(np.array([seq[:12]]))  # the window is full
    want = sliding_reference(model, seq, 12)
    for t in range(12, 30):  # absolute positions 12 .. 29, each step drops the oldest key
        got = fast.decode(np.array([[seq[t]]]), slide=True)[0, 0]
        np.testing.assert_allclose(got, want[t], atol=1e-5, rtol=0, err_msg=f"position {t}")
    # and it is not what re-prefilling the cropped window computes
    cropped = model(np.array([seq[-12:]])).data[0, -1]
    assert np.abs(cropped - want[-1]).max() > 1e-3


def test_generate_slides_instead_of_re_prefilling() -> None:
    model = model_for(BASE, seed=11)
    prompt = [3, 1, 4, 1, 5, 9, 2, 6]
    new = generate(model, prompt, max_new_tokens=16, strategy=Greedy(), seed=0, window="slide")
    seq = list(prompt)
    for _ in range(16):  # the reference recomputes everything, one token at a time
        seq.append(int(np.argmax(sliding_reference(model, seq, 12)[-1])))
    assert new == seq[len(prompt) :]


@pytest.mark.parametrize("pos", ["learned", "sinusoidal"])
def test_sliding_needs_rope(pos: str) -> None:
    model = model_for(replace(BASE, pos=pos))
    with pytest.raises(ValueError, match="RoPE"):
        generate(model, [1], max_new_tokens=2, strategy=Greedy(), seed=0, window="slide")
    fast = FastMiniGPT(model)
    fast.prefill(np.zeros((1, 12), dtype=np.int64))
    with pytest.raises(ValueError, match="RoPE"):
        fast.decode(np.zeros((1, 1), dtype=np.int64), slide=True)


def test_bad_calls_are_clear_errors() -> None:
    fast = FastMiniGPT(model_for(BASE))
    with pytest.raises(ValueError, match="prefill"):
        fast.decode(np.zeros((1, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="integer array"):
        fast(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="outside 0..36"):
        fast(np.array([[37]]))
    with pytest.raises(ValueError, match="context_len=12"):
        fast.prefill(np.zeros((1, 13), dtype=np.int64))
    fast.prefill(np.zeros((2, 12), dtype=np.int64))
    with pytest.raises(ValueError, match="context_len=12"):
        fast.decode(np.zeros((2, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="rows"):
        fast.decode(np.zeros((3, 1), dtype=np.int64))


def test_as_fast_leaves_subclasses_and_other_models_alone() -> None:
    class Variant(MiniGPT):
        pass

    model = model_for(BASE)
    assert isinstance(as_fast(model), FastMiniGPT)
    variant = Variant(BASE, rng=np.random.default_rng(0))
    assert as_fast(variant) is variant
    assert as_fast("anything") == "anything"
