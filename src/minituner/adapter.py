"""Phase 28: an adapter on disk — the LoRA factors only, bound to the base model they were trained on.

An adapter is a difference: ΔW only means something added to the W it was learned against. So the file
carries the base's content hash (`lora.base_sha256`) in its safetensors metadata, and loading it onto any
other base is refused before a single factor is copied; a silently wrong base would give a model that runs,
answers, and is nonsense. The file also records the LoRA config, so loading can rebuild the wrapping itself.
No pickle: safetensors for the factors, JSON strings in its metadata for the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

from lynx_cortex.errors import LynxError
from minigrad.nn import Module
from minimodel.mini_gpt import MiniGPT
from minituner.lora import (
    FFN_TARGETS,
    LORA_PREFIX,
    LoRAAttention,
    LoRAConfig,
    LoRAFactors,
    LoRALinear,
    adapted_modules,
    apply_lora,
    base_sha256,
    blocks,
)

FORMAT = "lynx-lora/1"
ADAPTER_FILE = "adapter.safetensors"


def adapter_tensors(model: MiniGPT) -> dict[str, np.ndarray[Any, Any]]:
    """The LoRA factors under their names in the adapted model."""
    return {
        name: np.ascontiguousarray(param.data)
        for name, param in model.named_parameters()
        if LORA_PREFIX in name
    }


def adapter_config(model: MiniGPT) -> LoRAConfig:
    """The config an adapted model was built with, read back from its first block's wrappers."""
    block = blocks(model)[0]
    attn: Module = block.attn
    targets: list[str] = []
    factors: list[LoRAFactors] = []
    dropout = 0.0
    if isinstance(attn, LoRAAttention):
        targets += attn.targets
        factors += [attn.factors(t) for t in attn.targets]
    for name in FFN_TARGETS:
        layer = getattr(block.ffn, name)
        if isinstance(layer, LoRALinear):
            targets.append(name)
            factors.append(layer.lora)
            dropout = layer.dropout.p
    if not factors:
        raise ValueError("model has no LoRA adapters")
    return LoRAConfig(
        rank=factors[0].rank, alpha=factors[0].alpha, dropout=dropout, targets=tuple(targets)
    )


def save_adapter(model: MiniGPT, path: Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write the factors, the LoRA config and the base's sha256 to `path` (a .safetensors file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format": FORMAT,
        "base_sha256": base_sha256(model),
        "lora": json.dumps(adapter_config(model).to_dict(), sort_keys=True),
        "extra": json.dumps(extra or {}, sort_keys=True),
    }
    tmp = path.with_name(path.name + ".tmp")
    save_file(adapter_tensors(model), str(tmp), metadata=metadata)
    tmp.replace(path)
    return path


def read_adapter(path: Path) -> tuple[dict[str, np.ndarray[Any, Any]], dict[str, str]]:
    """The factors and the metadata of an adapter file (format checked)."""
    path = Path(path)
    if not path.is_file():
        raise LynxError(f"no adapter file at {path}")
    with safe_open(str(path), framework="numpy") as handle:
        metadata = dict(handle.metadata() or {})
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    if metadata.get("format") != FORMAT:
        raise LynxError(f"{path} is not a {FORMAT} adapter (format {metadata.get('format')!r})")
    return tensors, metadata


def load_adapter(model: MiniGPT, path: Path, *, seed: int = 0) -> MiniGPT:
    """Wrap `model` (if it is bare) as the file says and load the factors, after checking the base hash.

    Raises `LynxError` when `model`'s base weights are not the ones the adapter was trained on.
    """
    tensors, metadata = read_adapter(path)
    expected = metadata["base_sha256"]
    actual = base_sha256(model)
    if actual != expected:
        raise LynxError(
            f"adapter {path} was trained on base sha256 {expected[:16]}…, but this model's base is "
            f"{actual[:16]}…: load it onto the checkpoint it was trained on"
        )
    config = LoRAConfig.from_dict(json.loads(metadata["lora"]))
    if not any(True for _ in adapted_modules(model)):
        apply_lora(model, config, rng=np.random.default_rng(seed))
    own = {name: param for name, param in model.named_parameters() if LORA_PREFIX in name}
    missing, unexpected = sorted(set(own) - set(tensors)), sorted(set(tensors) - set(own))
    if missing or unexpected:
        raise LynxError(
            f"adapter {path} does not fit this model's adapters: missing {missing}, unexpected {unexpected}"
        )
    for name, param in own.items():
        value = tensors[name]
        if value.shape != param.shape:
            raise LynxError(
                f"adapter {path}: {name!r} is {value.shape} in the file, {param.shape} in the model"
            )
        param.data = value.astype(param.dtype)
        param.grad = None
    return model


__all__ = [
    "ADAPTER_FILE",
    "FORMAT",
    "adapter_config",
    "adapter_tensors",
    "load_adapter",
    "read_adapter",
    "save_adapter",
]
