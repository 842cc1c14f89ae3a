"""MiniGPT: config validation, the exact parameter inventory, shapes, causality, padding and the loss."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.optim import AdamW
from minigrad.tensor import Tensor
from minimodel.mini_gpt import (
    SEED_103680,
    SEED_131392,
    MiniGPT,
    MiniGPTConfig,
    closed_form_param_count,
    named_config,
    param_inventory,
)

SMALL = MiniGPTConfig(vocab_size=40, d_model=16, n_heads=2, n_layers=2, d_ff=32, context_len=12)
VARIANTS = [
    SEED_103680,
    SEED_131392,
    named_config("tiny", 512),
    named_config("grammar", 512),
    replace(SMALL, pos="learned"),
    replace(SMALL, pos="sinusoidal", norm="rmsnorm"),
    replace(SMALL, tie_embeddings=False, qkv_bias=True),
    replace(SMALL, n_layers=4, ffn_bias=False, d_ff=24),
]


def model(cfg: MiniGPTConfig = SMALL, seed: int = 0, dtype: Any = np.float64) -> MiniGPT:
    return MiniGPT(cfg, rng=np.random.default_rng(seed), dtype=dtype)


# ------------------------------------------------------------------ config


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"d_model": 30, "n_heads": 4}, "divisible by n_heads"),
        ({"d_model": 0}, "d_model must be a positive int"),
        ({"n_layers": 1.5}, "n_layers must be a positive int"),
        ({"vocab_size": True}, "vocab_size must be a positive int"),
        ({"norm": "batchnorm"}, "norm must be one of"),
        ({"pos": "alibi"}, "pos must be one of"),
        ({"d_model": 12, "n_heads": 4}, "d_head = 12/4 = 3 must be even"),
        ({"d_model": 15, "n_heads": 5, "pos": "sinusoidal"}, "even d_model"),
    ],
)
def test_config_rejects_bad_values(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        MiniGPTConfig(**{"vocab_size": 64, **changes})


def test_config_rejects_non_bool_flags() -> None:
    with pytest.raises(TypeError, match="tie_embeddings must be a bool"):
        MiniGPTConfig(vocab_size=64, tie_embeddings=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("cfg", VARIANTS, ids=str)
def test_config_json_round_trip(cfg: MiniGPTConfig) -> None:
    assert MiniGPTConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_config_from_dict_names_unknown_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown MiniGPTConfig keys \['d_modle'\]"):
        MiniGPTConfig.from_dict({"vocab_size": 64, "d_modle": 32})


def test_named_configs() -> None:
    tiny = named_config("tiny", 512)
    assert (tiny.d_model, tiny.n_heads, tiny.n_layers, tiny.d_ff, tiny.context_len) == (
        64,
        4,
        2,
        256,
        32,
    )
    assert (tiny.norm, tiny.pos, tiny.tie_embeddings, tiny.qkv_bias) == (
        "layernorm",
        "rope",
        True,
        False,
    )
    grammar = named_config("grammar", 512)
    assert closed_form_param_count(grammar) > closed_form_param_count(tiny)
    assert grammar.context_len >= 2 * 20  # twice the longest framed corpus row
    with pytest.raises(ValueError, match="unknown MiniGPT config 'huge'"):
        named_config("huge", 512)


# ------------------------------------------------------------------ parameter count


def test_the_seed_totals() -> None:
    assert closed_form_param_count(SEED_103680) == 103_680
    assert closed_form_param_count(SEED_131392) == 131_392
    inv = param_inventory(model(SEED_103680, dtype=np.float32))
    assert sum(inv.values()) == 103_680
    # the seed's hand breakdown: E 4,096; per block attention 16,384, FFN 33,088, two norms 256; final 128
    assert inv["tok_emb.weight"] == 4_096
    block = {k: v for k, v in inv.items() if k.startswith("blocks.0.")}
    assert sum(v for k, v in block.items() if ".attn." in k) == 16_384
    assert sum(v for k, v in block.items() if ".ffn." in k) == 33_088
    assert sum(v for k, v in block.items() if ".norm" in k) == 256
    assert inv["norm_f.weight"] + inv["norm_f.bias"] == 128


@pytest.mark.parametrize("cfg", VARIANTS, ids=str)
def test_inventory_matches_closed_form(cfg: MiniGPTConfig) -> None:
    inv = param_inventory(model(cfg, dtype=np.float32))
    assert sum(inv.values()) == closed_form_param_count(cfg)


@given(
    heads=st.integers(1, 4),
    head_pairs=st.integers(1, 4),
    layers=st.integers(1, 3),
    d_ff=st.integers(1, 40),
    vocab=st.integers(2, 50),
    norm=st.sampled_from(["layernorm", "rmsnorm"]),
    pos=st.sampled_from(["rope", "sinusoidal", "learned"]),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
@settings(max_examples=25, deadline=None)
def test_inventory_matches_closed_form_everywhere(
    heads: int,
    head_pairs: int,
    layers: int,
    d_ff: int,
    vocab: int,
    norm: str,
    pos: str,
    flags: tuple[bool, bool, bool],
) -> None:
    cfg = MiniGPTConfig(
        vocab_size=vocab,
        d_model=heads * 2 * head_pairs,
        n_heads=heads,
        n_layers=layers,
        d_ff=d_ff,
        context_len=8,
        norm=norm,
        pos=pos,
        tie_embeddings=flags[0],
        qkv_bias=flags[1],
        ffn_bias=flags[2],
    )
    assert sum(param_inventory(model(cfg)).values()) == closed_form_param_count(cfg)


def test_tied_head_is_one_matrix_fed_by_both_uses() -> None:
    m = model()
    shaped = [p for p in m.parameters() if p.shape == (SMALL.vocab_size, SMALL.d_model)]
    assert len(shaped) == 1 and shaped[0] is m.tok_emb.weight
    ids = np.array([[1, 2, 3]])
    m.loss(ids, np.array([[2, 3, 4]]), np.ones((1, 3), bool)).backward()
    grad = m.tok_emb.weight.grad
    assert grad is not None
    assert np.all(np.abs(grad[30:]) > 0)  # rows never embedded still learn through the head
    untied = model(replace(SMALL, tie_embeddings=False))
    untied.loss(ids, np.array([[2, 3, 4]]), np.ones((1, 3), bool)).backward()
    assert untied.tok_emb.weight.grad is not None
    assert np.all(untied.tok_emb.weight.grad[30:] == 0)  # untied: only embedded rows move


# ------------------------------------------------------------------ forward


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_shape_and_dtype(dtype: Any) -> None:
    m = model(dtype=dtype)
    logits = m(np.zeros((3, 7), dtype=np.int64))
    assert logits.shape == (3, 7, SMALL.vocab_size)
    assert logits.dtype == dtype
    assert all(p.dtype == dtype for p in m.parameters())


@pytest.mark.parametrize(
    ("ids", "error", "needle"),
    [
        (np.zeros(5, dtype=int), ValueError, r"\(batch, time\)"),
        (np.zeros((1, 5)), TypeError, "integer token ids"),
        (np.zeros((1, 13), dtype=int), ValueError, "more than context_len=12"),
        (np.full((1, 3), 40), IndexError, "outside 0..39"),
    ],
)
def test_forward_rejects_bad_ids(ids: np.ndarray, error: type[Exception], needle: str) -> None:
    with pytest.raises(error, match=needle):
        model()(ids)


@pytest.mark.parametrize("pos", ["rope", "sinusoidal", "learned"])
@pytest.mark.parametrize("k", [1, 5, 11])
def test_future_tokens_never_change_earlier_logits(pos: str, k: int) -> None:
    m = model(replace(SMALL, pos=pos))
    ids = np.random.default_rng(k).integers(0, SMALL.vocab_size, (2, 12))
    changed = ids.copy()
    changed[:, k:] = (changed[:, k:] + 7) % SMALL.vocab_size
    a, b = m(ids).data, m(changed).data  # (B, T, V) each
    assert np.max(np.abs(a[:, :k] - b[:, :k])) < 1e-8
    assert np.max(np.abs(a[:, k:] - b[:, k:])) > 1e-3


def test_without_the_mask_the_future_leaks() -> None:
    m = model()
    for block in m.blocks:
        block.causal = False
    ids = np.arange(12)[None]
    changed = ids.copy()
    changed[0, -1] = 0
    assert np.max(np.abs(m(ids).data[0, :-1] - m(changed).data[0, :-1])) > 1e-3


def test_right_padding_does_not_touch_real_positions() -> None:
    m = model()
    short = np.array([[5, 6, 7]])
    batch = np.array([[5, 6, 7, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    pad = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=bool)
    alone = m(short).data[0]  # (3, V)
    assert np.allclose(m(batch, pad_mask=pad).data[0, :3], alone, atol=1e-12)
    assert np.allclose(m(batch).data[0, :3], alone, atol=1e-12)  # causality alone hides right pads


def test_left_padding_with_a_mask_is_invisible_under_rope() -> None:
    m = model()
    alone = m(np.array([[5, 6, 7]])).data[0]  # (3, V)
    left = np.array([[0, 0, 5, 6, 7]])
    pad = np.array([[0, 0, 1, 1, 1]], dtype=bool)
    # RoPE scores depend only on offsets, so shifting the real tokens right changes nothing once pads are hidden
    assert np.allclose(m(left, pad_mask=pad).data[0, 2:], alone, atol=1e-10)
    assert not np.allclose(m(left).data[0, 2:], alone, atol=1e-4)
    with pytest.raises(ValueError, match="pad_mask must have the ids' shape"):
        m(left, pad_mask=pad[:, :4])


# ------------------------------------------------------------------ loss


def test_loss_is_the_token_mean_over_masked_positions() -> None:
    m = model()
    rng = np.random.default_rng(3)
    ids = rng.integers(0, SMALL.vocab_size, (2, 6))
    targets = rng.integers(0, SMALL.vocab_size, (2, 6))
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0]], dtype=bool)
    targets[~mask] = 999  # out of range where masked: must be ignored, not rejected
    logits = m(ids).data  # (B, T, V)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))  # (B, T, V)
    rows, cols = np.nonzero(mask)
    expected = -np.mean(logp[rows, cols, targets[rows, cols]])
    assert m.loss(ids, targets, mask).item() == pytest.approx(expected, abs=1e-12)
    assert m.loss(ids, targets, np.zeros_like(mask)).item() == 0.0
    with pytest.raises(ValueError, match="must share one"):
        m.loss(ids, targets, mask[:, :5])


def test_initial_loss_is_near_uniform() -> None:
    cfg = named_config("tiny", 512)
    m = model(cfg, dtype=np.float32)
    ids = np.random.default_rng(0).integers(0, 512, (4, 32))
    loss = m.loss(ids[:, :-1], ids[:, 1:], np.ones((4, 31), bool)).item()
    assert loss == pytest.approx(math.log(512), abs=0.05)


def test_adamw_memorises_one_batch() -> None:
    m = model()
    ids = np.random.default_rng(1).integers(0, SMALL.vocab_size, (2, 12))
    mask = np.ones((2, 11), bool)
    opt = AdamW(list(m.parameters()), lr=1e-2, weight_decay=0.0)
    first = m.loss(ids[:, :-1], ids[:, 1:], mask).item()
    for _ in range(40):
        m.zero_grad()
        loss = m.loss(ids[:, :-1], ids[:, 1:], mask)
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


def test_block_with_zeroed_outputs_is_the_identity() -> None:
    m = model()
    block = m.blocks[0]
    for param in (block.attn.w_o, block.ffn.fc2.weight, block.ffn.fc2.bias):  # type: ignore[attr-defined]
        param.data[...] = 0.0
    x = np.random.default_rng(0).standard_normal((2, 5, SMALL.d_model))
    assert np.array_equal(block(Tensor(x), rope=m.rope).data, x)
