"""Phase 17: the pre-LN transformer block, the repeated unit of the MiniGPT.

The block reads and writes a residual stream: `x = x + attn(norm1(x))`, then `x = x + ffn(norm2(x))`.
Normalising the *input* of each sublayer (pre-LN) leaves the stream itself untouched, so the identity path
from the loss to the embeddings never passes through a norm — that is why pre-LN trains without the warmup
tricks post-LN needs. Attention mixes information across positions (communication); the FFN works on each
position alone (computation).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from minigrad import init
from minigrad.nn import LayerNorm, Linear, Module, RMSNorm
from minigrad.tensor import Tensor
from minimodel.attention import BoolArray, MultiHeadAttention
from minimodel.kv_cache import KVStore

RopeTables = tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]]


def make_norm(kind: str, d_model: int) -> Module:
    """LayerNorm (γ and β, 2·d parameters) or RMSNorm (γ only, d parameters), ε = 1e-5 as PyTorch."""
    if kind == "layernorm":
        return LayerNorm(d_model, eps=1e-5)
    if kind == "rmsnorm":
        return RMSNorm(d_model, eps=1e-5)
    raise ValueError(f"norm must be 'layernorm' or 'rmsnorm', got {kind!r}")


class FeedForward(Module):
    """Position-wise MLP: Linear(d, d_ff) → GELU (tanh) → Linear(d_ff, d), Xavier-uniform weights, zero biases."""

    def __init__(
        self, d_model: int, d_ff: int, *, bias: bool = True, rng: np.random.Generator
    ) -> None:
        super().__init__()
        self.fc1 = Linear(d_model, d_ff, bias=bias, rng=rng)
        self.fc2 = Linear(d_ff, d_model, bias=bias, rng=rng)
        init.xavier_uniform_(self.fc1.weight, rng)
        init.xavier_uniform_(self.fc2.weight, rng)

    def forward(self, x: Tensor) -> Tensor:
        hidden = self.fc1.forward(x).gelu()  # (B, T, F)
        return self.fc2.forward(hidden)  # (B, T, D)


class TransformerBlock(Module):
    """One pre-LN block. `causal` is an attribute so phase 17's break can switch the mask off."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        *,
        norm: str = "layernorm",
        qkv_bias: bool = False,
        ffn_bias: bool = True,
        n_kv_heads: int | None = None,
        window: int | None = None,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.norm1 = make_norm(norm, d_model)
        self.attn = MultiHeadAttention(
            d_model, n_heads, qkv_bias=qkv_bias, n_kv_heads=n_kv_heads, window=window, rng=rng
        )
        self.norm2 = make_norm(norm, d_model)
        self.ffn = FeedForward(d_model, d_ff, bias=ffn_bias, rng=rng)
        self.causal = True

    def forward(
        self,
        x: Tensor,
        *,
        mask: BoolArray | None = None,
        rope: RopeTables | None = None,
        cache: KVStore | None = None,
        layer: int = 0,
        start: int = 0,
    ) -> Tensor:
        """x (B, T, D) → (B, T, D); `mask` (True = may attend) broadcasts to (B, H, T, Tk).

        `cache`, `layer` and `start` pass through to attention (phase 22's cached inference).
        """
        x = x + self.attn.forward(
            self.norm1(x),
            mask=mask,
            causal=self.causal,
            rope=rope,
            cache=cache,
            layer=layer,
            start=start,
        )  # (B, T, D)
        return x + self.ffn.forward(self.norm2(x))  # (B, T, D)


__all__ = ["FeedForward", "RopeTables", "TransformerBlock", "make_norm"]
