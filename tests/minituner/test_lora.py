"""Phase 28: LoRA on minigrad — identity at init, exact merge/unmerge, frozen base, the parameter formula."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.nn import Linear
from minigrad.tensor import Tensor
from minimodel.infer import FastMiniGPT
from minimodel.mini_gpt import SEED_103680, MiniGPT, MiniGPTConfig
from minituner.lora import (
    ALL_TARGETS,
    LoRAConfig,
    LoRALinear,
    apply_lora,
    base_sha256,
    first_step_update,
    lora_param_count,
    lora_parameters,
    merge,
    merge_and_unload,
    trainable_count,
    unmerge,
)

SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)


def _model(cfg: MiniGPTConfig = SMALL, dtype: Any = np.float32, seed: int = 0) -> MiniGPT:
    return MiniGPT(cfg, rng=np.random.default_rng(seed), dtype=dtype)


def _ids(cfg: MiniGPTConfig = SMALL, batch: int = 2, length: int = 9) -> np.ndarray[Any, Any]:
    return np.random.default_rng(1).integers(0, cfg.vocab_size, (batch, length))


def _randomise(model: MiniGPT, scale: float = 0.2, seed: int = 3) -> None:
    """Trained-looking factors: B = 0 would make every merge test trivially pass."""
    rng = np.random.default_rng(seed)
    for param in lora_parameters(model):
        param.data = (rng.standard_normal(param.shape) * scale).astype(param.dtype)


def test_a_fresh_adapter_changes_nothing_bit_for_bit() -> None:
    model = _model()
    before = model(_ids()).data.copy()
    apply_lora(model, LoRAConfig(rank=4), rng=np.random.default_rng(2))
    assert np.array_equal(model(_ids()).data, before)  # B = 0: exactly the base


def test_linear_64_rank_8_trains_1024_numbers() -> None:
    layer = LoRALinear(
        Linear(64, 64, rng=np.random.default_rng(0)), rank=8, rng=np.random.default_rng(1)
    )
    assert trainable_count(layer) == 8 * (64 + 64) == 1024
    assert "trainable=1024" in repr(layer)


@pytest.mark.parametrize("rank", [0, -1])
def test_rank_below_one_is_refused(rank: int) -> None:
    with pytest.raises(ValueError, match="LoRA rank must be ≥ 1"):
        LoRAConfig(rank=rank)
    with pytest.raises(ValueError, match="LoRA rank must be ≥ 1"):
        LoRALinear(Linear(4, 4), rank=rank, rng=np.random.default_rng(0))


def test_the_seed_model_adapts_2304_r_parameters() -> None:
    for rank in (1, 8, 32):
        model = apply_lora(_model(SEED_103680), LoRAConfig(rank=rank), rng=np.random.default_rng(0))
        assert (
            trainable_count(model)
            == lora_param_count(SEED_103680, LoRAConfig(rank=rank))
            == 2304 * rank
        )


@given(
    rank=st.integers(1, 6),
    targets=st.sets(st.sampled_from(ALL_TARGETS), min_size=1),
    kv_heads=st.sampled_from([1, 2, 4]),
    layers=st.integers(1, 3),
)
def test_the_count_formula_matches_the_real_model(
    rank: int, targets: set[str], kv_heads: int, layers: int
) -> None:
    cfg = replace(SMALL, n_kv_heads=kv_heads, n_layers=layers)
    config = LoRAConfig(rank=rank, targets=tuple(targets))
    model = apply_lora(_model(cfg), config, rng=np.random.default_rng(0))
    assert trainable_count(model) == lora_param_count(cfg, config)
    assert sum(p.size for p in lora_parameters(model)) == lora_param_count(cfg, config)


def test_only_the_factors_learn() -> None:
    model = apply_lora(_model(), LoRAConfig(rank=2), rng=np.random.default_rng(2))
    _randomise(model)
    ids = _ids()
    model.loss(ids, ids, np.ones_like(ids, dtype=bool)).backward()
    for name, param in model.named_parameters():
        if "lora_" in name:
            assert (
                param.requires_grad and param.grad is not None and np.abs(param.grad).sum() > 0
            ), name
        else:
            assert not param.requires_grad and param.grad is None, name


def test_lora_linear_is_the_formula() -> None:
    """y = W x + b + (α/r)·B A x, by hand."""
    rng = np.random.default_rng(0)
    base = Linear(5, 3, rng=rng, dtype=np.float64)
    layer = LoRALinear(base, rank=2, alpha=6.0, rng=rng)
    layer.lora.lora_B.data = rng.standard_normal((3, 2))
    x = rng.standard_normal((4, 5))
    w, b = base.weight.data, base.bias.data  # type: ignore[union-attr]
    a, bb = layer.lora.lora_A.data, layer.lora.lora_B.data
    expected = x @ w.T + b + 3.0 * (x @ a.T @ bb.T)
    np.testing.assert_allclose(layer(Tensor(x)).data, expected, rtol=0, atol=1e-12)


def test_merge_equals_adapted_and_unmerge_restores_the_base_exactly() -> None:
    model = apply_lora(_model(), LoRAConfig(rank=3, alpha=8.0), rng=np.random.default_rng(2))
    base_hash = base_sha256(model)
    _randomise(model)
    ids = _ids()
    adapted = model(ids).data.copy()
    merge(model)
    np.testing.assert_allclose(model(ids).data, adapted, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="unmerge first"):
        base_sha256(model)
    unmerge(model)
    assert base_sha256(model) == base_hash
    assert np.array_equal(model(ids).data, adapted)


def test_merge_and_unload_runs_on_the_fast_path() -> None:
    model = apply_lora(_model(dtype=np.float64), LoRAConfig(rank=4), rng=np.random.default_rng(2))
    _randomise(model)
    ids = _ids()
    adapted = model(ids).data.copy()
    plain = merge_and_unload(model)
    assert not any("lora_" in name for name, _ in plain.named_parameters())
    np.testing.assert_allclose(FastMiniGPT(plain)(ids), adapted, rtol=0, atol=1e-10)


def _first_step_norm(rank: int) -> float:
    layer = LoRALinear(
        Linear(64, 64, rng=np.random.default_rng(0)), rank=rank, rng=np.random.default_rng(1)
    )
    grad = np.random.default_rng(2).standard_normal((64, 64))  # (out, in)
    return float(np.linalg.norm(first_step_update(layer.lora, grad, lr=1e-3)))


def test_the_first_step_is_one_lr_per_entry_of_b() -> None:
    """Hand-derived: Adam's first step is -lr·sign(g) per entry, so ΔW = (α/r)·(-lr·sign(G Aᵀ)) A."""
    layer = LoRALinear(
        Linear(6, 4, rng=np.random.default_rng(0)), rank=2, alpha=4.0, rng=np.random.default_rng(1)
    )
    grad = np.random.default_rng(2).standard_normal((4, 6))
    a = layer.lora.lora_A.data.astype(np.float64)
    expected = 2.0 * (-1e-2 * np.sign(grad @ a.T)) @ a
    np.testing.assert_allclose(first_step_update(layer.lora, grad, lr=1e-2), expected, rtol=1e-4)
    assert not layer.lora.lora_B.data.any()  # left as it was


def test_alpha_over_r_stops_the_update_growing_with_rank() -> None:
    small, large = _first_step_norm(2), _first_step_norm(32)
    assert large < small  # with α/r a larger rank takes a smaller first step, never a larger one


def test_adapting_twice_is_refused() -> None:
    model = apply_lora(_model(), LoRAConfig(rank=2), rng=np.random.default_rng(2))
    with pytest.raises(ValueError, match="already has LoRA adapters"):
        apply_lora(model, LoRAConfig(rank=2), rng=np.random.default_rng(2))
