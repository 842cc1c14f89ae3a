"""Phase 28: the QLoRA preview's base — `miniquant`'s NF4 applied to every projection, nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from miniquant.nf4 import NF4_CODE
from minituner.lora import LoRAConfig, apply_lora
from minituner.qlora import nf4_bytes, nf4_round_trip, quantize_base

SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)


def test_an_in_out_projection_is_blocked_along_its_inputs() -> None:
    """Each output column is one block here (24 inputs < 64): its absmax survives exactly, and the rest of
    the column lands on the NF4 grid scaled by it."""
    w = np.random.default_rng(0).normal(size=(24, 5)).astype(np.float32)  # (in, out)
    back = nf4_round_trip(w)
    assert back.shape == w.shape and back.dtype == w.dtype
    scale = np.abs(back).max(axis=0)  # (out,)
    np.testing.assert_allclose(scale, np.abs(w).max(axis=0), rtol=1e-3)  # float16 absmax
    on_grid = back / scale  # every value is a grid point times its column's scale
    assert np.all(np.min(np.abs(on_grid[..., None] - NF4_CODE), axis=-1) < 1e-6)
    assert nf4_bytes(w) == 24 * 5 // 2 + 2 * 5  # packed codes plus one float16 scale per column


def test_quantize_base_rounds_every_projection_and_nothing_else() -> None:
    model = MiniGPT(SMALL, rng=np.random.default_rng(0))
    emb = model.tok_emb.weight.data.copy()
    report = quantize_base(model)
    block0 = model.blocks[0]
    w_q = block0.attn.w_q.data  # type: ignore[attr-defined]
    np.testing.assert_allclose(
        w_q, nf4_round_trip(w_q), atol=1e-6
    )  # idempotent: already on the grid
    assert np.array_equal(model.tok_emb.weight.data, emb)
    assert report.weights == 2 * (4 * 24 * 24 + 2 * 24 * 40)
    assert report.nf4_bytes / report.float_bytes == pytest.approx(0.5 / 4 + 2 / 24 / 4, rel=0.05)
    apply_lora(model, LoRAConfig(rank=2), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="before adding adapters"):
        quantize_base(model)
