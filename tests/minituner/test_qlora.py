"""Phase 28: the NF4 round trip of the QLoRA preview — levels, error bound, bytes, and the base it builds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minituner.lora import LoRAConfig, apply_lora
from minituner.qlora import (
    NF4_LEVELS,
    nf4_bytes,
    nf4_dequantize,
    nf4_quantize,
    nf4_round_trip,
    quantize_base,
)

SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)


def test_the_levels_are_sorted_symmetric_at_the_ends_and_hold_an_exact_zero() -> None:
    assert NF4_LEVELS.size == 16 and np.all(np.diff(NF4_LEVELS) > 0)
    assert NF4_LEVELS[0] == -1.0 and NF4_LEVELS[-1] == 1.0 and NF4_LEVELS[7] == 0.0


def test_levels_and_block_maxima_survive_exactly() -> None:
    block = NF4_LEVELS * 0.37  # every level once, absmax 0.37
    weights = np.concatenate([block, block[::-1], block * 2, block[::-1] * 2]).astype(np.float32)
    np.testing.assert_array_equal(nf4_round_trip(weights, block=32), weights)


@given(
    st.lists(st.floats(-4, 4, width=32), min_size=1, max_size=300),
    st.sampled_from([8, 64]),
)
def test_error_is_at_most_half_the_widest_gap_times_the_block_max(
    values: list[float], block: int
) -> None:
    w = np.array(values, dtype=np.float32)
    codes, absmax = nf4_quantize(w, block)
    assert codes.max() <= 15 and absmax.size == -(-w.size // block)
    back = nf4_dequantize(codes, absmax, w.shape, block)
    padded = np.concatenate([w, np.zeros((-w.size) % block, np.float32)]).reshape(-1, block)
    bound = np.repeat(np.abs(padded).max(axis=1), block)[: w.size] * np.diff(NF4_LEVELS).max() / 2
    assert np.all(np.abs(back - w) <= bound * (1 + 1e-6) + 1e-12)


def test_bytes_are_half_a_byte_per_weight_plus_a_scale_per_block() -> None:
    assert nf4_bytes(128) == 64 + 2 * 4
    assert nf4_bytes(65) == 33 + 2 * 4  # odd count rounds up; a partial block still has its scale


def test_quantize_base_rounds_every_projection_and_nothing_else() -> None:
    model = MiniGPT(SMALL, rng=np.random.default_rng(0))
    emb = model.tok_emb.weight.data.copy()
    report = quantize_base(model)
    block0 = model.blocks[0]
    w_q = block0.attn.w_q.data  # type: ignore[attr-defined]
    np.testing.assert_array_equal(w_q, nf4_round_trip(w_q))  # idempotent: already on the grid
    assert np.array_equal(model.tok_emb.weight.data, emb)
    assert report.weights == 2 * (4 * 24 * 24 + 2 * 24 * 40)
    assert report.nf4_bytes / report.float_bytes == pytest.approx(0.5 / 4 + 4 / 64 / 4, rel=0.02)
    apply_lora(model, LoRAConfig(rank=2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="before adding adapters"):
        quantize_base(model)
