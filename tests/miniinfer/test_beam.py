"""Beam search: width 1 is greedy, a wider beam finds what greedy misses, and masks are respected."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from miniinfer.beam import beam_search
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig


@dataclass(frozen=True)
class Cfg:
    context_len: int


class TableModel:
    """Next-token probabilities depend on the last token only (row = last token)."""

    config = Cfg(16)

    def __init__(self, table: list[list[float]]) -> None:
        self.logits = np.log(np.array(table) + 1e-300)  # (V, V)

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        return self.logits[ids[0]][None]  # (1, T, V)


# token 3 stops. From 0: "1" (0.6) then a flat 1/3 each; "2" (0.4) then stop with 0.9.
TOY = [
    [0.0, 0.6, 0.4, 0.0],
    [0.0, 1 / 3, 1 / 3, 1 / 3],
    [0.0, 0.05, 0.05, 0.9],
    [0.25, 0.25, 0.25, 0.25],
]


def test_a_wider_beam_finds_the_better_sequence_greedy_misses() -> None:
    model = TableModel(TOY)
    greedy = beam_search(model, [0], width=1, max_new_tokens=2, stop_ids=[3])
    assert greedy == [1, 1]  # 0.6 × 1/3 (ties to the lower id)
    assert beam_search(model, [0], width=2, max_new_tokens=2, stop_ids=[3]) == [2, 3]  # 0.4 × 0.9


def _model(seed: int) -> MiniGPT:
    cfg = MiniGPTConfig(vocab_size=16, d_model=16, n_heads=2, n_layers=1, d_ff=32, context_len=8)
    model = MiniGPT(cfg, rng=np.random.default_rng(seed))
    model.tok_emb.weight.data = model.tok_emb.weight.data * 20.0
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_width_one_is_greedy(seed: int) -> None:
    model = _model(seed)
    want = generate(model, [1, 2], max_new_tokens=10, strategy=Greedy(), seed=0, cache=False)
    assert beam_search(model, [1, 2], width=1, max_new_tokens=10) == want


def test_masks_hold_on_every_beam() -> None:
    def odd_then_even(step: int, generated: tuple[int, ...]) -> np.ndarray:
        return np.arange(16) % 2 == (1 + len(generated)) % 2

    out = beam_search(_model(3), [5], width=4, max_new_tokens=8, mask=odd_then_even)
    assert [t % 2 for t in out] == [1, 0] * 4


def test_bad_width() -> None:
    with pytest.raises(ValueError, match="width"):
        beam_search(_model(0), [1], width=0, max_new_tokens=2)
