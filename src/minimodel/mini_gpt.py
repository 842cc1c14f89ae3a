"""Phase 17: the MiniGPT — embeddings, positions, pre-LN blocks, a final norm and a tied LM head.

`MiniGPTConfig` is the whole architecture in one frozen, JSON-friendly value: checkpoints store it, and the
parameter count is a closed form of it (`closed_form_param_count`), checked against the model's own inventory.
The seed's two totals are two configs of that one formula: 103,680 is V=64 with LayerNorm and FFN biases,
131,392 is V=512 with RMSNorm and no biases at all (`SEED_103680`, `SEED_131392`).

The LM head is tied: logits = h · Eᵀ with the embedding matrix E itself, one Parameter that receives the
gradient of both uses and is stored once. The forward pass returns raw logits; the softmax lives in the loss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad import init
from minigrad.functional import cross_entropy
from minigrad.nn import Embedding, Linear, Module, ModuleList
from minigrad.tensor import Tensor, no_grad
from minimodel.block import RopeTables, TransformerBlock, make_norm
from minimodel.kv_cache import KVCache, KVStore
from minimodel.positional import LearnedPositional, precompute_rope, sinusoidal

NORMS = ("layernorm", "rmsnorm")
POSITIONS = ("rope", "sinusoidal", "learned")
#: Config fields added after checkpoints existed: left out of `to_dict` while None (their default).
OPTIONAL_FIELDS = ("n_kv_heads", "sliding_window")


@dataclass(frozen=True)
class MiniGPTConfig:
    """The architecture. Defaults are DESIGN.md §6's curriculum config (`tiny`); `vocab_size` comes from
    the tokenizer. `ffn_bias` (not in DESIGN's list) exists because the seed's 131,392 has no FFN biases.

    Phase 27 adds two optional fields, both None by default (= the phase-17 model, bit for bit):
    `n_kv_heads` key/value heads for grouped-query attention (None means n_heads: MHA; 1 is MQA) and
    `sliding_window` W, each position attending to its W most recent positions only. `to_dict` leaves them
    out while they are None, so existing checkpoints' metadata is unchanged.
    """

    vocab_size: int
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 256
    context_len: int = 32
    norm: str = "layernorm"
    pos: str = "rope"
    tie_embeddings: bool = True
    qkv_bias: bool = False
    ffn_bias: bool = True
    n_kv_heads: int | None = None
    sliding_window: int | None = None

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "n_heads", "n_layers", "d_ff", "context_len"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MiniGPTConfig.{name} must be a positive int, got {value!r}")
        for name in ("tie_embeddings", "qkv_bias", "ffn_bias"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"MiniGPTConfig.{name} must be a bool, got {getattr(self, name)!r}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"MiniGPTConfig.d_model={self.d_model} must be divisible by n_heads={self.n_heads}"
            )
        for name in ("n_kv_heads", "sliding_window"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(
                    f"MiniGPTConfig.{name} must be None or a positive int, got {value!r}"
                )
        if self.n_heads % self.kv_heads:
            raise ValueError(
                f"MiniGPTConfig.n_kv_heads={self.n_kv_heads} must divide n_heads={self.n_heads}"
            )
        if self.norm not in NORMS:
            raise ValueError(f"MiniGPTConfig.norm must be one of {NORMS}, got {self.norm!r}")
        if self.pos not in POSITIONS:
            raise ValueError(f"MiniGPTConfig.pos must be one of {POSITIONS}, got {self.pos!r}")
        if self.pos == "rope" and self.d_head % 2:
            raise ValueError(
                f"RoPE rotates feature pairs: d_head = {self.d_model}/{self.n_heads} = {self.d_head} must be even"
            )
        if self.pos == "sinusoidal" and self.d_model % 2:
            raise ValueError(f"sinusoidal positions need an even d_model, got {self.d_model}")

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    @property
    def kv_heads(self) -> int:
        """Key/value heads actually used: `n_kv_heads`, or n_heads when it is None."""
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (ints, strs, bools), for checkpoint metadata; unset phase-27 fields omitted."""
        data = asdict(self)
        for name in OPTIONAL_FIELDS:
            if data[name] is None:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MiniGPTConfig:
        """Inverse of `to_dict`; unknown keys are an error (a typo must not silently become a default)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown MiniGPTConfig keys {unknown}; known keys are {sorted(known)}"
            )
        return cls(**data)


# The seed's two parameter totals, reproduced by the closed form (see the module docstring).
SEED_103680 = MiniGPTConfig(vocab_size=64)
SEED_131392 = MiniGPTConfig(vocab_size=512, norm="rmsnorm", ffn_bias=False)


#: The larger grammar candidate the throughput labs time (issue #28): d_model 128 (4 heads of 32), 4 layers,
#: d_ff 512, context 64; `dataclasses.replace(GRAMMAR_WIDE, vocab_size=...)` for another tokenizer.
GRAMMAR_WIDE = MiniGPTConfig(
    vocab_size=512, d_model=128, n_heads=4, n_layers=4, d_ff=512, context_len=64
)


def named_config(name: str, vocab_size: int) -> MiniGPTConfig:
    """`tiny`: the curriculum's config, exactly DESIGN.md §6's defaults (132,352 parameters at V=512, 165,120 at the
    shipped V=1024).

    `grammar`: the tutor's (~0.92 M parameters at V=1024). A framed tutor sentence is ~35 tokens (62 at
    most): the model must copy the sentence, fix one verb group, name the error and translate word by word.
    d_model 128 (4 heads of 32) over 4 layers corrected 0.99 of held-out frames after 600 steps of 32 rows in
    a PyTorch prototype; with one BLAS thread a NumPy step costs ~0.5-0.8 s on 2 shared cores, so the run
    fits the 20-minute budget. Context 96 leaves room for learners' longer
    sentences at no cost: batches are padded to their longest row, not to the context.
    """
    if name == "tiny":
        return MiniGPTConfig(vocab_size=vocab_size)
    if name == "grammar":
        return MiniGPTConfig(
            vocab_size=vocab_size, d_model=128, n_heads=4, n_layers=4, d_ff=512, context_len=96
        )
    raise ValueError(f"unknown MiniGPT config {name!r}; choose 'tiny' or 'grammar'")


class MiniGPT(Module):
    """The decoder-only language model of phases 17-21 on `minigrad` tensors; see the module docstring."""

    def __init__(
        self,
        cfg: MiniGPTConfig,
        *,
        rng: np.random.Generator,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = Embedding(cfg.vocab_size, cfg.d_model, rng=rng)
        init.normal_(
            self.tok_emb.weight, rng, 0.0, 0.02
        )  # GPT-2's N(0, 0.02²): E also scores the logits
        if cfg.pos == "learned":
            self.pos_emb = LearnedPositional(cfg.context_len, cfg.d_model, rng=rng)
        self.blocks = ModuleList(
            TransformerBlock(
                cfg.d_model,
                cfg.n_heads,
                cfg.d_ff,
                norm=cfg.norm,
                qkv_bias=cfg.qkv_bias,
                ffn_bias=cfg.ffn_bias,
                n_kv_heads=cfg.n_kv_heads,
                window=cfg.sliding_window,
                rng=rng,
            )
            for _ in range(cfg.n_layers)
        )
        self.norm_f = make_norm(cfg.norm, cfg.d_model)
        if not cfg.tie_embeddings:
            self.lm_head = Linear(cfg.d_model, cfg.vocab_size, bias=False, rng=rng)
            init.normal_(self.lm_head.weight, rng, 0.0, 0.02)
        for param in self.parameters():
            param.data = param.data.astype(dtype)
        self.dtype = np.dtype(dtype)
        # tables are derived from the config, so they are plain attributes, not saved buffers
        self.rope: RopeTables | None = (
            precompute_rope(cfg.context_len, cfg.d_head, dtype=self.dtype)
            if cfg.pos == "rope"
            else None
        )
        self.sin_table = (
            sinusoidal(cfg.context_len, cfg.d_model, dtype=self.dtype)
            if cfg.pos == "sinusoidal"
            else None
        )  # (Tmax, D)
        self.kv_cache = KVCache(cfg.n_layers, cfg.context_len)  # inference state, never saved

    def _check_ids(self, ids: npt.ArrayLike, what: str) -> npt.NDArray[np.intp]:
        arr = np.asarray(ids)
        if arr.ndim != 2:
            raise ValueError(f"MiniGPT {what} must be a (batch, time) array, got shape {arr.shape}")
        if arr.dtype.kind not in "iu":
            raise TypeError(f"MiniGPT {what} must be integer token ids, got dtype {arr.dtype}")
        if arr.shape[1] > self.cfg.context_len:
            raise ValueError(
                f"MiniGPT {what} has {arr.shape[1]} positions, more than context_len={self.cfg.context_len}"
            )
        return arr.astype(np.intp)

    def forward(self, ids: npt.ArrayLike, *, pad_mask: npt.ArrayLike | None = None) -> Tensor:
        """ids (B, T) → logits (B, T, V). `pad_mask` (B, T) is True on real tokens; pads are never attended."""
        tokens = self._check_ids(ids, "ids")
        mask = None
        if pad_mask is not None:
            keys = np.asarray(pad_mask, dtype=bool)
            if keys.shape != tokens.shape:
                raise ValueError(
                    f"pad_mask must have the ids' shape {tokens.shape}, got {keys.shape}"
                )
            mask = keys[:, None, None, :]  # (B, 1, 1, T) broadcasts over heads and queries
        return self._logits(tokens, mask=mask)

    def _logits(
        self,
        tokens: npt.NDArray[np.intp],
        *,
        mask: npt.NDArray[np.bool_] | None = None,
        cache: KVStore | None = None,
        start: int = 0,
    ) -> Tensor:
        """The one forward path: tokens (B, T) at absolute positions start .. start+T-1 → logits (B, T, V)."""
        length = tokens.shape[1]
        h = self.tok_emb(tokens)  # (B, T, D)
        if self.cfg.pos == "learned":
            h = h + self.pos_emb.table[np.arange(start, start + length)]  # (B, T, D)
        elif self.sin_table is not None:
            h = h + Tensor(self.sin_table[start : start + length])  # (B, T, D)
        for layer, block in enumerate(self.blocks):
            h = block(
                h, mask=mask, rope=self.rope, cache=cache, layer=layer, start=start
            )  # (B, T, D)
        h = self.norm_f(h)  # (B, T, D)
        head: Tensor = (
            self.tok_emb.weight if self.cfg.tie_embeddings else self.lm_head.weight
        )  # (V, D)
        logits: Tensor = h @ head.T  # (B, T, V)
        return logits

    def set_fused(self, enabled: bool) -> MiniGPT:
        """Switch every layer with a one-node fast path (attention core, norms) to it, or back to the
        composed ops the phases teach; the numbers agree to rounding either way (tests hold them to 1e-6)."""
        for module in self.modules():
            if hasattr(module, "fused"):
                setattr(module, "fused", bool(enabled))  # noqa: B010 - any module type
        return self

    @property
    def config(self) -> MiniGPTConfig:
        """`cfg` under the name `miniinfer.generate` expects (`model.config.context_len`)."""
        return self.cfg

    def _decode_start(self) -> int:
        """The absolute position of the next decoded token: exactly the number of cached positions.

        One method so phase 22's break can subclass it off by one and watch cached ≠ uncached.
        """
        return self.kv_cache.length

    def prefill(self, ids: npt.ArrayLike, *, cache: KVStore | None = None) -> Tensor:
        """Inference only: reset the KV cache, run ids (B, T) from position 0, keep their keys/values.

        Returns logits (B, T, V), equal to `forward(ids)`. `cache` replaces the model's own `kv_cache` for
        this call (phase 27's paged cache); decode must then be given the same one.
        """
        tokens = self._check_ids(ids, "prefill ids")
        store = self.kv_cache if cache is None else cache
        store.reset()
        with no_grad():
            return self._logits(tokens, cache=store, start=0)

    def decode(self, ids: npt.ArrayLike, *, cache: KVStore | None = None) -> Tensor:
        """Inference only: run the new ids (B, Tnew), usually Tnew = 1, after the cached positions.

        Returns logits (B, Tnew, V), equal to the last Tnew rows of `forward` over the whole sequence.
        """
        tokens = self._check_ids(ids, "decode ids")
        store = self.kv_cache if cache is None else cache
        cached = store.length
        if cached == 0:
            raise ValueError("MiniGPT.decode needs a filled KV cache: call prefill(prompt) first")
        if cached + tokens.shape[1] > self.cfg.context_len:
            raise ValueError(
                f"MiniGPT.decode: {cached} cached + {tokens.shape[1]} new positions exceed "
                f"context_len={self.cfg.context_len}; prefill the cropped window instead"
            )
        start = self._decode_start() if cache is None else cached
        with no_grad():
            return self._logits(tokens, cache=store, start=start)

    def loss(
        self,
        ids: npt.ArrayLike,
        targets: npt.ArrayLike,
        loss_mask: npt.ArrayLike,
        *,
        pad_mask: npt.ArrayLike | None = None,
    ) -> Tensor:
        """Token-mean cross-entropy over the positions where `loss_mask` (B, T) is True (0.0 if none)."""
        tokens = self._check_ids(ids, "ids")
        tgt = self._check_ids(targets, "targets")
        keep = np.asarray(loss_mask, dtype=bool)
        if not tgt.shape == keep.shape == tokens.shape:
            raise ValueError(
                f"ids {tokens.shape}, targets {tgt.shape} and loss_mask {keep.shape} must share one (B, T) shape"
            )
        logits = self.forward(tokens, pad_mask=pad_mask)  # (B, T, V)
        return cross_entropy(logits, np.where(keep, tgt, -1), ignore_index=-1)  # ()


def param_inventory(model: Module) -> dict[str, int]:
    """Parameter name → element count, each tied parameter once (under its first name)."""
    return {name: param.size for name, param in model.named_parameters()}


def closed_form_param_count(cfg: MiniGPTConfig) -> int:
    """The parameter count from the config alone; ≈ V·d + L·12·d² when d_ff = 4d and biases are off.

    With H_kv key/value heads W_k and W_v are (d, d_kv), d_kv = H_kv · d/H: GQA saves 2·d·(d − d_kv) per layer.
    """
    d, f = cfg.d_model, cfg.d_ff
    d_kv = cfg.kv_heads * cfg.d_head
    norm = 2 * d if cfg.norm == "layernorm" else d  # γ and β, or γ only
    # W_q, W_o (d, d); W_k, W_v (d, d_kv) (+ b_q, b_k, b_v)
    attention = 2 * d * d + 2 * d * d_kv + (d + 2 * d_kv if cfg.qkv_bias else 0)
    ffn = 2 * d * f + (f + d if cfg.ffn_bias else 0)
    block = attention + ffn + 2 * norm
    embedding = cfg.vocab_size * d
    head = 0 if cfg.tie_embeddings else cfg.vocab_size * d
    positions = cfg.context_len * d if cfg.pos == "learned" else 0
    return embedding + positions + cfg.n_layers * block + norm + head


__all__ = [
    "GRAMMAR_WIDE",
    "NORMS",
    "OPTIONAL_FIELDS",
    "POSITIONS",
    "SEED_103680",
    "SEED_131392",
    "MiniGPT",
    "MiniGPTConfig",
    "closed_form_param_count",
    "named_config",
    "param_inventory",
]
