"""The MiniGPT rebuilt in PyTorch, an independent oracle for the `minigrad` one.

Same architecture, same parameter names and layouts as `MiniGPT.state_dict()` (attention weights are
(d_in, d_out) and multiply on the right, `Linear` weights are (out, in)), so `load_numpy_state` copies the
NumPy weights in one to one and the two forward and backward passes can be compared number for number.
`CachedTorchMiniGPT` adds `prefill`/`decode` with a preallocated KV cache (the torch side of decode timings).
torch is an optional dependency: importing this module needs it (tests `importorskip` it).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from minimodel.mini_gpt import MiniGPTConfig
from minimodel.positional import precompute_rope, sinusoidal

torch: Any = importlib.import_module("torch")
nn: Any = torch.nn
MASKED = -1e9  # the same fill as minimodel.attention, so fully masked rows agree too


def _norm(kind: str, d: int) -> Any:
    return nn.LayerNorm(d, eps=1e-5) if kind == "layernorm" else nn.RMSNorm(d, eps=1e-5)


def _rope(x: Any, cos: Any, sin: Any) -> Any:
    """Interleaved-pair rotation of (B, H, T, Dh), as `minimodel.positional.apply_rope`."""
    even, odd = x[..., 0::2], x[..., 1::2]  # (B, H, T, Dh/2)
    rotated = torch.stack(
        [even * cos - odd * sin, even * sin + odd * cos], dim=-1
    )  # (B, H, T, Dh/2, 2)
    return rotated.flatten(-2)  # (B, H, T, Dh)


class _Attention(nn.Module):  # type: ignore[misc]
    def __init__(self, cfg: MiniGPTConfig) -> None:
        super().__init__()
        d, d_kv = cfg.d_model, cfg.kv_heads * cfg.d_head
        self.n_heads, self.d_head, self.n_kv_heads = cfg.n_heads, cfg.d_head, cfg.kv_heads
        self.window = cfg.sliding_window
        self.w_q, self.w_o = nn.Parameter(torch.empty(d, d)), nn.Parameter(torch.empty(d, d))
        self.w_k, self.w_v = nn.Parameter(torch.empty(d, d_kv)), nn.Parameter(torch.empty(d, d_kv))
        self.b_q: Any = nn.Parameter(torch.zeros(d)) if cfg.qkv_bias else None
        self.b_k: Any = nn.Parameter(torch.zeros(d_kv)) if cfg.qkv_bias else None
        self.b_v: Any = nn.Parameter(torch.zeros(d_kv)) if cfg.qkv_bias else None
        self.causal = True

    def _heads(self, x: Any, w: Any, b: Any) -> Any:
        batch, length, _ = x.shape
        y = x @ w if b is None else x @ w + b  # (B, T, heads · Dh)
        return y.view(batch, length, -1, self.d_head).transpose(1, 2)  # (B, heads, T, Dh)

    def forward(
        self, x: Any, mask: Any, rope: tuple[Any, Any] | None, cache: Any = None, start: int = 0
    ) -> Any:
        """`cache` = (keys, values), each (B, H, S, Dh): x's positions start.. are written there first."""
        batch, length, d = x.shape
        q = self._heads(x, self.w_q, self.b_q)  # (B, H, T, Dh)
        k = self._heads(x, self.w_k, self.b_k)  # (B, H_kv, T, Dh)
        v = self._heads(x, self.w_v, self.b_v)  # (B, H_kv, T, Dh)
        if rope is not None:
            q, k = _rope(q, *rope), _rope(k, *rope)  # (B, H, T, Dh) each
        if cache is not None:
            cache[0][:, :, start : start + length] = k
            cache[1][:, :, start : start + length] = v
            k, v = (
                cache[0][:, :, : start + length],
                cache[1][:, :, : start + length],
            )  # (B, H_kv, Tk, Dh)
        groups = self.n_heads // self.n_kv_heads
        if groups > 1:  # GQA: query head h reads key/value head h // groups
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)  # (B, H, T, Tk)
        keys = torch.arange(k.shape[-2])  # (Tk,)
        allowed = torch.ones(length, k.shape[-2], dtype=torch.bool)  # (T, Tk)
        if self.causal:
            pos = (start + torch.arange(length))[:, None]  # (T, 1)
            allowed = keys[None, :] <= pos
            if self.window is not None:
                allowed = allowed & (keys[None, :] > pos - self.window)
        if mask is not None:
            allowed = allowed & mask  # (B, 1, T, T)
        scores = scores.masked_fill(~allowed, MASKED)  # (B, H, T, T)
        out = torch.softmax(scores, dim=-1) @ v  # (B, H, T, Dh)
        return out.transpose(1, 2).reshape(batch, length, d) @ self.w_o  # (B, T, D)


class _FeedForward(nn.Module):  # type: ignore[misc]
    def __init__(self, cfg: MiniGPTConfig) -> None:
        super().__init__()
        self.fc1 = nn.Linear(cfg.d_model, cfg.d_ff, bias=cfg.ffn_bias)
        self.fc2 = nn.Linear(cfg.d_ff, cfg.d_model, bias=cfg.ffn_bias)

    def forward(self, x: Any) -> Any:
        return self.fc2(nn.functional.gelu(self.fc1(x), approximate="tanh"))  # (B, T, D)


class _Block(nn.Module):  # type: ignore[misc]
    def __init__(self, cfg: MiniGPTConfig) -> None:
        super().__init__()
        self.norm1 = _norm(cfg.norm, cfg.d_model)
        self.attn = _Attention(cfg)
        self.norm2 = _norm(cfg.norm, cfg.d_model)
        self.ffn = _FeedForward(cfg)

    def forward(
        self, x: Any, mask: Any, rope: tuple[Any, Any] | None, cache: Any = None, start: int = 0
    ) -> Any:
        x = x + self.attn(self.norm1(x), mask, rope, cache, start)  # (B, T, D)
        return x + self.ffn(self.norm2(x))  # (B, T, D)


class _LearnedPositional(nn.Module):  # type: ignore[misc]
    def __init__(self, cfg: MiniGPTConfig) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.empty(cfg.context_len, cfg.d_model))  # (Tmax, D)


class GrammarMiniGPT(nn.Module):  # type: ignore[misc]
    """`MiniGPT` in PyTorch for a given config; fill it with `load_numpy_state(model, minigpt.state_dict())`."""

    def __init__(self, cfg: MiniGPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        if cfg.pos == "learned":
            self.pos_emb = _LearnedPositional(cfg)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layers))
        self.norm_f = _norm(cfg.norm, cfg.d_model)
        if not cfg.tie_embeddings:
            self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        # position tables in float64, computed once (plain attributes: not parameters, not saved)
        rope = (
            precompute_rope(cfg.context_len, cfg.d_head, dtype=np.float64)
            if cfg.pos == "rope"
            else (np.zeros((0, 0)), np.zeros((0, 0)))
        )
        self._rope = (torch.from_numpy(rope[0]), torch.from_numpy(rope[1]))  # (Tmax, Dh/2) each
        self._sin_table = torch.from_numpy(
            sinusoidal(cfg.context_len, cfg.d_model, dtype=np.float64)
            if cfg.pos == "sinusoidal"
            else np.zeros((0, cfg.d_model))
        )  # (Tmax, D)

    def forward(self, ids: Any, pad_mask: Any = None, *, cache: Any = None, start: int = 0) -> Any:
        """ids (B, T) long → logits (B, T, V); `pad_mask` (B, T) bool, True on real tokens.

        `cache`: one (keys, values) pair of (B, H, S, Dh) buffers per block; ids are then the positions
        start .. start+T-1, written to the cache and attending over everything cached (`CachedTorchMiniGPT`).
        """
        length = ids.shape[1]
        dtype = self.tok_emb.weight.dtype
        h = self.tok_emb(ids)  # (B, T, D)
        span = slice(start, start + length)
        rope = None
        if self.cfg.pos == "rope":
            rope = (self._rope[0][span].to(dtype), self._rope[1][span].to(dtype))  # (T, Dh/2) each
        elif self.cfg.pos == "sinusoidal":
            h = h + self._sin_table[span].to(dtype)  # (B, T, D)
        else:
            h = h + self.pos_emb.table[span]  # (B, T, D)
        mask = None if pad_mask is None else pad_mask[:, None, None, :]  # (B, 1, 1, T)
        for index, block in enumerate(self.blocks):
            h = block(h, mask, rope, None if cache is None else cache[index], start)  # (B, T, D)
        h = self.norm_f(h)  # (B, T, D)
        head = self.tok_emb.weight if self.cfg.tie_embeddings else self.lm_head.weight  # (V, D)
        return h @ head.T  # (B, T, V)


class CachedTorchMiniGPT:
    """A `GrammarMiniGPT` behind `MiniGPT`'s inference interface (`prefill`/`decode`, a preallocated KV cache),
    so decode speed can be compared with the NumPy paths on the same weights."""

    def __init__(self, model: GrammarMiniGPT) -> None:
        self.model = model
        self.cache: list[tuple[Any, Any]] = []
        self.length = 0

    @property
    def config(self) -> MiniGPTConfig:
        return self.model.cfg

    def prefill(self, ids: Any) -> Any:
        """Fresh buffers, ids (B, T) from position 0 → logits (B, T, V) (a tensor, no graph)."""
        cfg, ids = self.model.cfg, torch.as_tensor(ids)
        shape = (ids.shape[0], cfg.kv_heads, cfg.context_len, cfg.d_head)
        dtype = self.model.tok_emb.weight.dtype
        self.cache = [
            (torch.zeros(shape, dtype=dtype), torch.zeros(shape, dtype=dtype))
            for _ in range(cfg.n_layers)
        ]
        with torch.inference_mode():
            logits = self.model(ids, cache=self.cache, start=0)
        self.length = int(ids.shape[1])
        return logits

    def decode(self, ids: Any) -> Any:
        """The new ids (B, Tnew) after the cached positions → logits (B, Tnew, V)."""
        ids = torch.as_tensor(ids)
        with torch.inference_mode():
            logits = self.model(ids, cache=self.cache, start=self.length)
        self.length += int(ids.shape[1])
        return logits


def load_numpy_state(model: Any, state: Mapping[str, npt.NDArray[Any]]) -> None:
    """Copy a `MiniGPT.state_dict()` into `model`, keeping each tensor's dtype; names must match exactly."""
    own = dict(model.named_parameters())
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise KeyError(f"load_numpy_state: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        for name, param in own.items():
            value = torch.from_numpy(np.ascontiguousarray(state[name]))
            if tuple(value.shape) != tuple(param.shape):
                raise ValueError(
                    f"load_numpy_state: {name!r} is {tuple(value.shape)} in the state, "
                    f"{tuple(param.shape)} in the model"
                )
            param.copy_(value.to(param.dtype))


__all__ = ["CachedTorchMiniGPT", "GrammarMiniGPT", "load_numpy_state"]
