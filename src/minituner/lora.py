"""Phase 28: LoRA on `minigrad` — a frozen weight W plus a trainable low-rank update (α/r)·B A.

A LoRA layer learns ΔW = B A with A (r, in) and B (out, r) instead of the full (out, in) ΔW: r·(in + out)
numbers instead of in·out. B starts at zero, so at step 0 the adapted model *is* the base model, bit for bit;
A starts as PyTorch's `kaiming_uniform_(a=√5)`, i.e. U(±1/√in), so the first gradient step already moves B
in a useful direction. The update is scaled by α/r: with that factor the size of the first Adam step
shrinks as r grows (like 1/√r) instead of growing with it (like √r without the factor: Adam moves each
entry of B by ~lr, and r such entries add up coherently in B A). So a learning rate tuned at one rank is
safe at a larger one; break 28 drops the factor and watches the step grow with r.

The MiniGPT has two kinds of projections. The FFN's `fc1`/`fc2` are `Linear` modules: `LoRALinear` wraps
them and adds its branch to the output. Attention keeps W_q, W_k, W_v, W_o as raw (in, out) matrices inside
`MultiHeadAttention`, so `LoRAAttention` parametrises them instead, as `torch.nn.utils.parametrize` does: for
the length of one call the attention reads W + ΔWᵀ, a graph node whose gradient flows into A and B only.

`merge` folds ΔW into W so inference pays nothing for the adapter (and `merge_and_unload` returns a plain
MiniGPT that `FastMiniGPT` runs); `unmerge` restores the saved original weights, so the base is bit-identical
afterwards instead of merely close (subtracting ΔW again would leave rounding residue).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.nn import Dropout, Linear, Module, Parameter
from minigrad.optim import AdamW
from minigrad.tensor import Tensor
from minimodel.attention import MultiHeadAttention
from minimodel.block import TransformerBlock
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig

Array = npt.NDArray[Any]

ATTENTION_TARGETS = ("q", "k", "v", "o")
FFN_TARGETS = ("fc1", "fc2")
#: Every projection, the QLoRA paper's convention (the seed's default); embeddings and norms stay frozen.
ALL_TARGETS = ATTENTION_TARGETS + FFN_TARGETS
LORA_PREFIX = "lora_"


def check_rank(rank: int) -> int:
    """A rank below 1 makes ΔW the empty product (always zero) and α/r undefined: refuse it loudly."""
    if isinstance(rank, bool) or not isinstance(rank, int | np.integer) or rank < 1:
        raise ValueError(f"LoRA rank must be ≥ 1; got rank={rank!r}")
    return int(rank)


@dataclass(frozen=True)
class LoRAConfig:
    """Rank, α, dropout on the branch input (FFN adapters only) and which projections get an adapter."""

    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.0
    targets: tuple[str, ...] = ALL_TARGETS

    def __post_init__(self) -> None:
        check_rank(self.rank)
        if not self.alpha > 0:
            raise ValueError(f"LoRA alpha must be > 0; got alpha={self.alpha!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"LoRA dropout must be in [0, 1); got {self.dropout!r}")
        unknown = sorted(set(self.targets) - set(ALL_TARGETS))
        if unknown or not self.targets:
            raise ValueError(
                f"LoRA targets must be a non-empty subset of {ALL_TARGETS}; got {self.targets!r}"
            )
        object.__setattr__(self, "targets", tuple(t for t in ALL_TARGETS if t in self.targets))

    @property
    def scaling(self) -> float:
        return self.alpha / self.rank

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["targets"] = list(self.targets)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoRAConfig:
        return cls(
            rank=int(data["rank"]),
            alpha=float(data["alpha"]),
            dropout=float(data.get("dropout", 0.0)),
            targets=tuple(data["targets"]),
        )


class LoRAFactors(Module):
    """A (r, in) and B (out, r) of one adapted weight, and the scale α/r they are multiplied by."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rank: int,
        alpha: float,
        *,
        rng: np.random.Generator,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.rank = check_rank(rank)
        self.alpha = float(alpha)
        bound = 1.0 / math.sqrt(in_features)  # kaiming_uniform_(a=√5): gain √(1/3) · √3 / √in
        # the base's dtype: a float64 factor would silently promote the whole forward pass
        self.lora_A = Parameter(
            rng.uniform(-bound, bound, (self.rank, in_features)), dtype=dtype
        )  # (r, in)
        self.lora_B = Parameter(np.zeros((out_features, self.rank)), dtype=dtype)  # (out, r)

    def scaling(self) -> float:
        """α/r, a method so break 28 can subclass it away."""
        return self.alpha / self.rank

    def delta(self) -> Array:
        """ΔW = (α/r)·B A as a plain (out, in) array, for merging and inspection."""
        product: Array = (self.lora_B.data @ self.lora_A.data) * self.scaling()  # (out, in)
        return product

    def extra_repr(self) -> str:
        trainable = sum(p.size for p in self.parameters() if p.requires_grad)
        return f"rank={self.rank}, alpha={self.alpha:g}, trainable={trainable}"


def first_step_update(factors: LoRAFactors, grad_w: Array, lr: float = 1e-3) -> Array:
    """ΔW after one Adam step from B = 0, given the loss gradient `grad_w` (out, in) w.r.t. W + ΔW.

    At B = 0 only B has a gradient (∂L/∂A = (α/r)·Bᵀ G = 0); Adam's first step moves every entry of B by
    about lr whatever the gradient's size, so ΔW's size comes from the rank and the scale alone: this is
    what break 28 measures. The factors are left as they were.
    """
    b = factors.lora_B
    saved, b.grad = (
        b.data.copy(),
        (grad_w @ factors.lora_A.data.T * factors.scaling()).astype(b.dtype),
    )
    AdamW([b], lr=lr, weight_decay=0.0).step()
    delta = factors.delta()
    b.data, b.grad = saved, None
    return delta


def _freeze(module: Module) -> None:
    for param in module.parameters():
        param.requires_grad = False


class LoRALinear(Module):
    """y = base(x) + (α/r)·B A dropout(x), with `base` a frozen `Linear`; see the module docstring."""

    def __init__(
        self,
        base: Linear,
        rank: int = 8,
        alpha: float = 16.0,
        dropout: float = 0.0,
        *,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        _freeze(base)
        self.base = base
        self.lora = LoRAFactors(
            base.in_features, base.out_features, rank, alpha, rng=rng, dtype=base.weight.dtype
        )
        self.dropout = Dropout(dropout, rng=rng)
        self.merged = False
        self._original: Array | None = None

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    def forward(self, x: Tensor) -> Tensor:
        y: Tensor = self.base(x)  # (..., out)
        if self.merged:
            return y
        low: Tensor = self.dropout(x) @ self.lora.lora_A.T  # (..., r)
        return y + (low @ self.lora.lora_B.T) * self.lora.scaling()  # (..., out)

    def merge(self) -> None:
        """W ← W + ΔW, keeping the original W so `unmerge` restores it exactly."""
        if self.merged:
            return
        weight = self.base.weight
        self._original = weight.data.copy()
        weight.data = (weight.data + self.lora.delta()).astype(weight.data.dtype)
        self.merged = True

    def unmerge(self) -> None:
        if not self.merged or self._original is None:
            return
        self.base.weight.data = self._original
        self._original = None
        self.merged = False

    def __repr__(self) -> str:
        return f"LoRALinear({self.in_features}, {self.out_features}, {self.lora.extra_repr()})"


class LoRAAttention(Module):
    """A `MultiHeadAttention` whose chosen (in, out) matrices read W + ΔWᵀ; see the module docstring."""

    def __init__(
        self,
        base: MultiHeadAttention,
        targets: Sequence[str],
        rank: int = 8,
        alpha: float = 16.0,
        *,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        _freeze(base)
        self.base = base
        self.targets = tuple(t for t in ATTENTION_TARGETS if t in targets)
        for name in self.targets:
            weight = getattr(base, f"w_{name}")
            d_in, d_out = weight.shape  # attention stores (in, out)
            factors = LoRAFactors(d_in, d_out, rank, alpha, rng=rng, dtype=weight.dtype)
            setattr(self, f"{LORA_PREFIX}{name}", factors)
        self.merged = False
        self._originals: dict[str, Array] = {}

    def factors(self, name: str) -> LoRAFactors:
        found: LoRAFactors = getattr(self, f"{LORA_PREFIX}{name}")
        return found

    def forward(self, x: Tensor, **kwargs: Any) -> Tensor:
        """The base attention with W_t + ((α/r)·B A)ᵀ in place of each adapted W_t for this one call."""
        if self.merged:
            out: Tensor = self.base.forward(x, **kwargs)
            return out
        params = {name: getattr(self.base, f"w_{name}") for name in self.targets}
        try:
            for name, weight in params.items():
                ab = self.factors(name)
                delta = (ab.lora_A.T @ ab.lora_B.T) * ab.scaling()  # (in, out)
                # object.__setattr__: the Parameter stays registered; only this call reads the sum
                object.__setattr__(self.base, f"w_{name}", weight + delta)
            out = self.base.forward(x, **kwargs)  # (B, T, D)
        finally:
            for name, weight in params.items():
                object.__setattr__(self.base, f"w_{name}", weight)
        return out

    def merge(self) -> None:
        if self.merged:
            return
        for name in self.targets:
            weight = getattr(self.base, f"w_{name}")
            self._originals[name] = weight.data.copy()
            weight.data = (weight.data + self.factors(name).delta().T).astype(weight.data.dtype)
        self.merged = True

    def unmerge(self) -> None:
        if not self.merged:
            return
        for name, original in self._originals.items():
            getattr(self.base, f"w_{name}").data = original
        self._originals = {}
        self.merged = False


Adapted = LoRALinear | LoRAAttention


def blocks(model: MiniGPT) -> list[TransformerBlock]:
    """The model's blocks, typed (a `ModuleList` yields plain `Module`s)."""
    found = list(model.blocks)
    for block in found:
        if not isinstance(block, TransformerBlock):
            raise TypeError(f"LoRA expects TransformerBlocks, got {type(block).__name__}")
    return found  # type: ignore[return-value]


def apply_lora(model: MiniGPT, config: LoRAConfig, *, rng: np.random.Generator) -> MiniGPT:
    """Freeze every parameter of `model` and give the configured projections of each block an adapter.

    Works in place (and returns the model for chaining); only the LoRA factors require grad afterwards.
    """
    if any(isinstance(m, LoRALinear | LoRAAttention) for m in model.modules()):
        raise ValueError(
            "model already has LoRA adapters; load or merge them instead of adding more"
        )
    _freeze(model)
    attention = [t for t in config.targets if t in ATTENTION_TARGETS]
    for block in blocks(model):
        if attention:
            block.attn = LoRAAttention(block.attn, attention, config.rank, config.alpha, rng=rng)  # type: ignore[assignment]
        ffn = block.ffn
        for name in (t for t in config.targets if t in FFN_TARGETS):
            wrapped = LoRALinear(
                getattr(ffn, name), config.rank, config.alpha, config.dropout, rng=rng
            )
            setattr(ffn, name, wrapped)
    return model


def adapted_modules(model: Module) -> Iterator[Adapted]:
    for module in model.modules():
        if isinstance(module, LoRALinear | LoRAAttention):
            yield module


def lora_parameters(model: Module) -> list[Parameter]:
    """The trainable factors, in model order (what the optimiser gets)."""
    return [p for name, p in model.named_parameters() if LORA_PREFIX in name]


def merge(model: Module) -> None:
    for module in adapted_modules(model):
        module.merge()


def unmerge(model: Module) -> None:
    for module in adapted_modules(model):
        module.unmerge()


def merge_and_unload(model: MiniGPT) -> MiniGPT:
    """Fold every adapter into its weight and put the bare modules back: a plain MiniGPT (fast path ready).

    The model's parameters become trainable again, as in a freshly loaded MiniGPT.
    """
    for block in blocks(model):
        attn: Module = block.attn
        if isinstance(attn, LoRAAttention):
            attn.merge()
            block.attn = attn.base
        for name in FFN_TARGETS:
            layer = getattr(block.ffn, name)
            if isinstance(layer, LoRALinear):
                layer.merge()
                setattr(block.ffn, name, layer.base)
    for param in model.parameters():
        param.requires_grad = True
    return model


def merged_copy(model: MiniGPT) -> MiniGPT:
    """A new plain MiniGPT holding W + ΔW, leaving `model` (and its adapters) exactly as it was.

    The evaluation and decoding code takes the `FastMiniGPT` path for a plain MiniGPT, so this is how an
    adapted model is scored: at the speed, and with the code, of any other checkpoint.
    """
    was_merged = [m.merged for m in adapted_modules(model)]
    merge(model)
    state = {
        base_name(name): value
        for name, value in model.state_dict().items()
        if LORA_PREFIX not in name
    }
    for module, merged in zip(adapted_modules(model), was_merged, strict=True):
        if not merged:
            module.unmerge()
    copy = MiniGPT(model.cfg, rng=np.random.default_rng(0), dtype=model.dtype)
    copy.load_state_dict(state, strict=True)
    copy.eval()
    return copy


def base_name(name: str) -> str:
    """The name a parameter has in the bare model: wrappers add a `.base` segment, which is dropped."""
    return ".".join(part for part in name.split(".") if part != "base")


def base_tensors(model: Module) -> dict[str, Array]:
    """The frozen base's tensors under their bare-model names (tied parameters once, LoRA factors left out)."""
    if any(m.merged for m in adapted_modules(model)):
        raise ValueError("base_tensors of a merged model would hash W + ΔW: unmerge first")
    return {
        base_name(name): param.data
        for name, param in model.named_parameters()
        if LORA_PREFIX not in name
    }


def base_sha256(model: Module) -> str:
    """A fingerprint of the base weights' content: names, dtypes, shapes and bytes, in sorted name order.

    It hashes tensors rather than a file, so the same weights give the same hash whichever checkpoint folder
    (or in-memory model) they came from, and an adapted model hashes as its base does.
    """
    digest = hashlib.sha256()
    for name, array in sorted(base_tensors(model).items()):
        data = np.ascontiguousarray(array)
        digest.update(f"{name}|{data.dtype.str}|{data.shape}\n".encode())
        digest.update(data.tobytes())
    return digest.hexdigest()


def lora_param_count(cfg: MiniGPTConfig, config: LoRAConfig) -> int:
    """r·(in + out) per adapted projection, summed over the layers: 2304·r for the seed's 2-layer d=64 model."""
    d, f = cfg.d_model, cfg.d_ff
    d_kv = cfg.kv_heads * cfg.d_head
    sizes = {"q": d + d, "k": d + d_kv, "v": d + d_kv, "o": d + d, "fc1": d + f, "fc2": f + d}
    return cfg.n_layers * config.rank * sum(sizes[t] for t in config.targets)


def trainable_count(model: Module) -> int:
    return sum(p.size for p in model.parameters() if p.requires_grad)


__all__ = [
    "ALL_TARGETS",
    "ATTENTION_TARGETS",
    "FFN_TARGETS",
    "LORA_PREFIX",
    "LoRAAttention",
    "LoRAConfig",
    "LoRAFactors",
    "LoRALinear",
    "adapted_modules",
    "apply_lora",
    "base_name",
    "base_sha256",
    "base_tensors",
    "blocks",
    "check_rank",
    "first_step_update",
    "lora_param_count",
    "lora_parameters",
    "merge",
    "merge_and_unload",
    "merged_copy",
    "trainable_count",
    "unmerge",
]
