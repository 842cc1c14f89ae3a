"""Masks compose before every strategy: no strategy ever emits a masked id, and an all-true mask changes nothing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniinfer.batched import greedy_batch
from miniinfer.generate import MaskFn, apply_mask, generate
from miniinfer.sampling import Greedy, Strategy, Temperature, TopK, TopP
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig

V = 16
STRATEGIES = st.one_of(
    st.just(Greedy()),
    st.floats(0.05, 5.0).map(Temperature),
    st.tuples(st.integers(1, V), st.floats(0.1, 3.0)).map(lambda t: TopK(*t)),
    st.tuples(st.floats(0.01, 1.0), st.floats(0.1, 3.0)).map(lambda t: TopP(*t)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-30, 30), min_size=V, max_size=V),
    st.lists(st.booleans(), min_size=V, max_size=V).filter(any),
    STRATEGIES,
    st.integers(0, 2**32 - 1),
)
def test_no_strategy_ever_draws_a_masked_id(
    logits: list[float], allowed: list[bool], strategy: Strategy, seed: int
) -> None:
    legal = np.array(allowed)
    masked = apply_mask(lambda s, g: legal, 0, [], np.array(logits))
    assert legal[strategy(masked, np.random.default_rng(seed))]


def test_top_k_ranks_among_legal_tokens_only() -> None:
    """The two best ids are illegal: masking first, TopK(2) still has two legal ids to draw from."""
    logits = np.array([9.0, 8.0, 1.0, 0.5, 0.0])
    legal = np.array([False, False, True, True, True])
    probs = TopK(2).probabilities(apply_mask(lambda s, g: legal, 0, [], logits))
    assert set(np.flatnonzero(probs)) == {2, 3}
    truncated_first = TopK(2).probabilities(
        logits
    )  # the wrong order: truncation keeps only illegal ids
    assert not (truncated_first * legal).any()


def _model(seed: int) -> MiniGPT:
    cfg = MiniGPTConfig(vocab_size=V, d_model=16, n_heads=2, n_layers=1, d_ff=32, context_len=12)
    model = MiniGPT(cfg, rng=np.random.default_rng(seed))
    model.tok_emb.weight.data = model.tok_emb.weight.data * 20.0
    return model


def _parity_mask(parity: int) -> MaskFn:
    def mask(step: int, generated: tuple[int, ...]) -> np.ndarray:
        return np.arange(V) % 2 == (parity + step) % 2  # alternate even and odd ids

    return mask


@pytest.mark.parametrize("strategy", [Greedy(), Temperature(1.5), TopK(3), TopP(0.8)])
def test_generate_respects_the_mask_every_step(strategy: Strategy) -> None:
    out = generate(
        _model(0), [1, 2], max_new_tokens=10, strategy=strategy, seed=4, mask=_parity_mask(0)
    )
    assert [t % 2 for t in out] == [0, 1] * 5


@pytest.mark.parametrize("strategy", [Temperature(0.9), TopP(0.7), TopK(4)])
def test_all_true_mask_is_the_same_as_no_mask(strategy: Strategy) -> None:
    model = _model(1)
    everything: MaskFn = lambda s, g: np.ones(V, dtype=bool)  # noqa: E731
    free = generate(model, [3], max_new_tokens=10, strategy=strategy, seed=7)
    assert (
        generate(model, [3], max_new_tokens=10, strategy=strategy, seed=7, mask=everything) == free
    )


def test_greedy_batch_masks_each_row_like_generate() -> None:
    model = _model(2)
    prompts: Sequence[list[int]] = [[1], [2, 3], [4], [5, 6], [7, 8, 9]]
    masks = [_parity_mask(i % 2) for i in range(len(prompts))]
    want = [
        generate(model, p, max_new_tokens=9, strategy=Greedy(), seed=0, mask=m)
        for p, m in zip(prompts, masks, strict=True)
    ]
    assert greedy_batch(model, prompts, 9, None, batch_size=2, masks=masks) == want
    with pytest.raises(ValueError, match="masks"):
        greedy_batch(model, prompts, 9, None, masks=masks[:2])
