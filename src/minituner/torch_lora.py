"""Phase 28: the same LoRA on the PyTorch port of the MiniGPT, the oracle for the `minigrad` one.

`TorchLoRALinear` is the LoRA paper's layer written out on a plain `nn.Linear`: y = W x + b + (α/r)·B A x.
Attention's raw (in, out) matrices get their update through `torch.nn.utils.parametrize`, the library's own
mechanism for "this parameter is really f(parameter)" — the same idea `minituner.lora.LoRAAttention` builds
by hand. Factor names match the `minigrad` model's (`…ffn.fc1.lora.lora_A`, `…attn.lora_q.lora_A`) so
`copy_factors` moves a trained adapter across, and the two models can be compared number for number.
torch is optional: importing this module needs it (tests `importorskip` it).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from minituner.lora import ATTENTION_TARGETS, FFN_TARGETS, LoRAConfig, check_rank

torch: Any = importlib.import_module("torch")
nn: Any = torch.nn
parametrize: Any = importlib.import_module("torch.nn.utils.parametrize")


class TorchLoRAFactors(nn.Module):  # type: ignore[misc]
    """A (r, in), B (out, r) and α/r, initialised as the `minigrad` factors (B = 0)."""

    def __init__(self, in_features: int, out_features: int, rank: int, alpha: float) -> None:
        super().__init__()
        self.rank = check_rank(rank)
        self.alpha = float(alpha)
        bound = 1.0 / float(np.sqrt(in_features))
        self.lora_A = nn.Parameter(torch.empty(self.rank, in_features).uniform_(-bound, bound))
        self.lora_B = nn.Parameter(torch.zeros(out_features, self.rank))

    @property
    def scaling(self) -> float:
        return self.alpha / self.rank


class TorchLoRALinear(nn.Module):  # type: ignore[misc]
    """y = base(x) + (α/r)·B A dropout(x) with `base` a frozen `nn.Linear`."""

    def __init__(self, base: Any, rank: int = 8, alpha: float = 16.0, dropout: float = 0.0) -> None:
        super().__init__()
        for param in base.parameters():
            param.requires_grad_(False)
        self.base = base
        self.lora = TorchLoRAFactors(base.in_features, base.out_features, rank, alpha).to(
            base.weight.dtype
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Any) -> Any:
        low = self.dropout(x) @ self.lora.lora_A.T  # (..., r)
        return self.base(x) + (low @ self.lora.lora_B.T) * self.lora.scaling  # (..., out)


class _AddTransposedDelta(nn.Module):  # type: ignore[misc]
    """The parametrization W ↦ W + ((α/r)·B A)ᵀ for a weight stored (in, out)."""

    def __init__(self, factors: Any) -> None:
        super().__init__()
        self.factors = factors

    def forward(self, weight: Any) -> Any:
        f = self.factors
        return weight + (f.lora_A.T @ f.lora_B.T) * f.scaling  # (in, out)


def apply_torch_lora(model: Any, config: LoRAConfig) -> Any:
    """Freeze a `GrammarMiniGPT` and add the configured adapters, in place (the `apply_lora` twin)."""
    for param in model.parameters():
        param.requires_grad_(False)
    for block in model.blocks:
        attn = block.attn
        names = [t for t in config.targets if t in ATTENTION_TARGETS]
        # every factor is registered before the first parametrization, so named_parameters() meets it first
        # as `attn.lora_q.lora_A` (its name in the minigrad model), not under `attn.parametrizations.…`
        for name in names:
            weight = getattr(attn, f"w_{name}")
            factors = TorchLoRAFactors(weight.shape[0], weight.shape[1], config.rank, config.alpha)
            factors.to(weight.dtype)
            attn.add_module(f"lora_{name}", factors)
        for name in names:
            delta = _AddTransposedDelta(getattr(attn, f"lora_{name}"))
            parametrize.register_parametrization(attn, f"w_{name}", delta)
        for name in (t for t in config.targets if t in FFN_TARGETS):
            wrapped = TorchLoRALinear(
                getattr(block.ffn, name), config.rank, config.alpha, config.dropout
            )
            setattr(block.ffn, name, wrapped)
    return model


def copy_factors(model: Any, factors: Mapping[str, npt.NDArray[Any]]) -> None:
    """Load `minigrad` LoRA factors (`minituner.adapter.adapter_tensors`) into the adapted torch model."""
    own = {n: p for n, p in model.named_parameters() if "lora_" in n}
    missing, unexpected = sorted(set(own) - set(factors)), sorted(set(factors) - set(own))
    if missing or unexpected:
        raise KeyError(f"copy_factors: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        for name, param in own.items():
            param.copy_(torch.from_numpy(np.ascontiguousarray(factors[name])).to(param.dtype))


__all__ = [
    "TorchLoRAFactors",
    "TorchLoRALinear",
    "apply_torch_lora",
    "copy_factors",
]
