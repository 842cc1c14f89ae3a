"""The MiniGPT rebuilt in PyTorch, an independent oracle for the `minigrad` one.

Same architecture, same parameter names and layouts as `MiniGPT.state_dict()` (attention weights are
(d_in, d_out) and multiply on the right, `Linear` weights are (out, in)), so `load_numpy_state` copies the
NumPy weights in one to one and the two forward and backward passes can be compared number for number.
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
        d = cfg.d_model
        self.n_heads, self.d_head = cfg.n_heads, cfg.d_head
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Parameter(torch.empty(d, d)) for _ in range(4))
        self.b_q: Any = nn.Parameter(torch.zeros(d)) if cfg.qkv_bias else None
        self.b_k: Any = nn.Parameter(torch.zeros(d)) if cfg.qkv_bias else None
        self.b_v: Any = nn.Parameter(torch.zeros(d)) if cfg.qkv_bias else None
        self.causal = True

    def _heads(self, x: Any, w: Any, b: Any) -> Any:
        batch, length, _ = x.shape
        y = x @ w if b is None else x @ w + b  # (B, T, D)
        return y.view(batch, length, self.n_heads, self.d_head).transpose(1, 2)  # (B, H, T, Dh)

    def forward(self, x: Any, mask: Any, rope: tuple[Any, Any] | None) -> Any:
        batch, length, d = x.shape
        q = self._heads(x, self.w_q, self.b_q)  # (B, H, T, Dh)
        k = self._heads(x, self.w_k, self.b_k)  # (B, H, T, Dh)
        v = self._heads(x, self.w_v, self.b_v)  # (B, H, T, Dh)
        if rope is not None:
            q, k = _rope(q, *rope), _rope(k, *rope)  # (B, H, T, Dh) each
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)  # (B, H, T, T)
        allowed = torch.ones(length, length, dtype=torch.bool)  # (T, T)
        if self.causal:
            allowed = torch.tril(allowed)
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

    def forward(self, x: Any, mask: Any, rope: tuple[Any, Any] | None) -> Any:
        x = x + self.attn(self.norm1(x), mask, rope)  # (B, T, D)
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

    def forward(self, ids: Any, pad_mask: Any = None) -> Any:
        """ids (B, T) long → logits (B, T, V); `pad_mask` (B, T) bool, True on real tokens."""
        length = ids.shape[1]
        dtype = self.tok_emb.weight.dtype
        h = self.tok_emb(ids)  # (B, T, D)
        rope = None
        if self.cfg.pos == "rope":
            cos, sin = precompute_rope(self.cfg.context_len, self.cfg.d_head, dtype=np.float64)
            rope = (
                torch.from_numpy(cos[:length]).to(dtype),
                torch.from_numpy(sin[:length]).to(dtype),
            )  # (T, Dh/2) each
        elif self.cfg.pos == "sinusoidal":
            table = sinusoidal(self.cfg.context_len, self.cfg.d_model, dtype=np.float64)
            h = h + torch.from_numpy(table[:length]).to(dtype)  # (B, T, D)
        else:
            h = h + self.pos_emb.table[:length]  # (B, T, D)
        mask = None if pad_mask is None else pad_mask[:, None, None, :]  # (B, 1, 1, T)
        for block in self.blocks:
            h = block(h, mask, rope)  # (B, T, D)
        h = self.norm_f(h)  # (B, T, D)
        head = self.tok_emb.weight if self.cfg.tie_embeddings else self.lm_head.weight  # (V, D)
        return h @ head.T  # (B, T, V)


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


__all__ = ["GrammarMiniGPT", "load_numpy_state"]
