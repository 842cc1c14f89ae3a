"""Batched greedy decoding equals one-at-a-time greedy decoding, row for row."""

from __future__ import annotations

import numpy as np
import pytest

from miniinfer.batch import greedy_batch
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig


def small_model(seed: int) -> MiniGPT:
    cfg = MiniGPTConfig(vocab_size=23, d_model=16, n_heads=2, n_layers=2, d_ff=32, context_len=12)
    model = MiniGPT(cfg, rng=np.random.default_rng(seed))
    for param in model.parameters():  # larger weights than the init, so greedy paths branch
        param.data = param.data * 8
    return model


def test_batched_greedy_equals_generate_for_every_row() -> None:
    model = small_model(3)
    rng = np.random.default_rng(0)
    prompts = [[int(t) for t in rng.integers(0, 23, size=n)] for n in (1, 3, 3, 5, 3, 1, 11)]
    free = greedy_batch(model, prompts, max_new_tokens=9)
    stop = free[3][2]  # a token some row emits mid-way, so stopping is exercised
    batched = greedy_batch(model, prompts, max_new_tokens=9, stop_ids=[stop], batch_size=2)
    for prompt, got in zip(prompts, batched, strict=True):
        room = min(9, model.cfg.context_len - len(prompt))
        want = generate(
            model, prompt, max_new_tokens=room, strategy=Greedy(), seed=0, stop_ids=[stop]
        )
        assert got == want
    assert any(stop in row for row in batched), "the test should exercise stopping"
    assert any(len(row) == 9 for row in batched), "and rows that run to the budget"


def test_bad_requests_are_named() -> None:
    model = small_model(0)
    with pytest.raises(ValueError, match="prompt 1 has 13 tokens"):
        greedy_batch(model, [[1], [1] * 13], max_new_tokens=2)
    with pytest.raises(ValueError, match="max_new_tokens"):
        greedy_batch(model, [[1]], max_new_tokens=-1)
    with pytest.raises(TypeError, match="prefill/decode"):
        greedy_batch(object(), [[1]], max_new_tokens=1)
