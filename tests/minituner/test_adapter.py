"""Phase 28: adapter files — the factors round-trip, and a wrong base is refused before anything loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from lynx_cortex.errors import LynxError
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minituner.adapter import adapter_config, load_adapter, read_adapter, save_adapter
from minituner.lora import LoRAConfig, apply_lora, base_sha256, lora_parameters

SMALL = MiniGPTConfig(vocab_size=37, d_model=24, n_heads=4, n_layers=2, d_ff=40, context_len=16)
IDS = np.random.default_rng(1).integers(0, 37, (2, 7))


def _trained(seed: int = 0, config: LoRAConfig | None = None) -> MiniGPT:
    model = apply_lora(
        MiniGPT(SMALL, rng=np.random.default_rng(seed)),
        config or LoRAConfig(rank=3, alpha=6.0, targets=("q", "v", "fc2")),
        rng=np.random.default_rng(5),
    )
    rng = np.random.default_rng(9)
    for param in lora_parameters(model):
        param.data = (rng.standard_normal(param.shape) * 0.2).astype(param.dtype)
    return model


def test_round_trip_onto_a_bare_copy_of_the_base(tmp_path: Path) -> None:
    model = _trained()
    path = save_adapter(model, tmp_path / "adapter.safetensors", extra={"note": "x"})
    fresh = MiniGPT(SMALL, rng=np.random.default_rng(0))  # same base, no adapters yet
    load_adapter(fresh, path)
    assert adapter_config(fresh) == adapter_config(model)
    np.testing.assert_allclose(fresh(IDS).data, model(IDS).data, rtol=0, atol=1e-6)
    _, metadata = read_adapter(path)
    assert metadata["base_sha256"] == base_sha256(fresh)
    assert json.loads(metadata["extra"]) == {"note": "x"}


def test_the_file_holds_only_the_factors(tmp_path: Path) -> None:
    model = _trained()
    tensors, _ = read_adapter(save_adapter(model, tmp_path / "a.safetensors"))
    assert sum(t.size for t in tensors.values()) == sum(p.size for p in lora_parameters(model))
    assert all("lora_" in name for name in tensors)


def test_a_wrong_base_is_refused(tmp_path: Path) -> None:
    path = save_adapter(_trained(seed=0), tmp_path / "adapter.safetensors")
    other = MiniGPT(SMALL, rng=np.random.default_rng(1))
    with pytest.raises(LynxError, match="trained on base sha256"):
        load_adapter(other, path)
    assert not lora_parameters(other)  # refused before wrapping anything


def test_one_changed_base_weight_is_enough_to_refuse(tmp_path: Path) -> None:
    path = save_adapter(_trained(), tmp_path / "adapter.safetensors")
    base = MiniGPT(SMALL, rng=np.random.default_rng(0))
    base.norm_f.weight.data[0] += 1e-3
    with pytest.raises(LynxError, match="trained on base sha256"):
        load_adapter(base, path)


def test_not_an_adapter_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.safetensors"
    save_file({"w": np.zeros(3, dtype=np.float32)}, str(path))
    with pytest.raises(LynxError, match="not a lynx-lora/1 adapter"):
        load_adapter(MiniGPT(SMALL, rng=np.random.default_rng(0)), path)
    with pytest.raises(LynxError, match="no adapter file"):
        read_adapter(tmp_path / "missing.safetensors")


def test_an_adapter_of_another_shape_is_refused(tmp_path: Path) -> None:
    path = save_adapter(_trained(), tmp_path / "adapter.safetensors")
    model = apply_lora(
        MiniGPT(SMALL, rng=np.random.default_rng(0)),
        LoRAConfig(rank=2),
        rng=np.random.default_rng(0),
    )
    with pytest.raises(LynxError, match="does not fit"):
        load_adapter(model, path)
