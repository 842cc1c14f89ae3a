"""The inference path: a MiniGPT's weights run on plain NumPy arrays, with a preallocated, batched KV cache.

`MiniGPT.prefill`/`decode` run the training graph under `no_grad()`: every op still builds a `Tensor`, and a
generated token costs about 175 of them — the cost of decoding was Python, not arithmetic (issue #28).
`FastMiniGPT` computes the same function with no graph at all: the weights are read from the model (views, plus
one stacked `[W_q | W_k | W_v]` per layer), the keys and values go into one (L, B, H, S, Dh) buffer allocated
once per batch size, and norms, GELU, RoPE and softmax work in place on scratch arrays this object owns.

It keeps `MiniGPT`'s inference interface, so `miniinfer.generate` and batch evaluators can use either:

- `fast(ids)` — ids (B, T) from position 0 → logits (B, T, V), no cache (the uncached forward);
- `fast.prefill(ids)` — reset the cache, run ids (B, T), keep their keys/values → logits (B, T, V);
- `fast.decode(ids)` — the new ids (B, Tnew) after the cached positions → logits (B, Tnew, V).

Every row of a batch has the same length (no padding mask): batch prompts of equal length, as
`miniinfer.batched.greedy_batch` does. (For `fast(ids)` alone, right padding is harmless — causal attention
never lets a real position read a later pad — so scoring padded batches works; left padding does not.)

The object is a snapshot taken at construction: most arrays are views of the parameters and the stacked
`[W_q | W_k | W_v]` is a copy, so build a new one after the weights change (an optimiser step rebinds every
parameter's array; `generate` builds one per call, which costs well under a millisecond).

Logits equal the graph path's to float32 rounding (the tests hold them to 1e-5 and the greedy tokens to
equality, on random weights and on the shipped checkpoint).

A full window. The graph path can only hold `context_len` positions; generation then crops the window and
prefills it again from position 0 (`decode(..., slide=False)` refuses to overflow, like `MiniGPT.decode`).
With RoPE, `decode(ids, slide=True)` goes on instead: position p is written over the cache slot of position
p − S and the new query attends to the S most recent positions, at absolute position p. Because RoPE scores
depend only on the offset p − j, every offset stays within 0 .. S − 1, the range the model was trained on.
What this computes is exactly the model run over the whole sequence with *sliding-window* attention (query i
reads keys i − S < j ≤ i) — not the cropped re-prefill, whose first window positions lose all left context
and whose deeper-layer keys are recomputed from the cropped window. It costs one decode step per token
instead of a prefill of S positions. Learned and sinusoidal positions have no meaning past `context_len`, so
for them `slide=True` is refused and callers re-prefill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from minigrad.nn import LayerNorm
from minimodel.fused_attention import MASKED, shared_kv_matmul
from minimodel.mini_gpt import MiniGPT
from minimodel.positional import rope_phasors, rope_rotate

Array = npt.NDArray[Any]
_GELU_C = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class _Norm:
    weight: Array | None  # (D,) γ
    bias: Array | None  # (D,) β, LayerNorm only
    eps: float
    centred: bool  # LayerNorm subtracts the mean, RMSNorm does not


@dataclass(frozen=True)
class _Layer:
    norm1: _Norm
    w_qkv: Array  # (D, D + 2·D_kv) [W_q | W_k | W_v]
    b_qkv: Array | None  # (D + 2·D_kv,)
    w_o: Array  # (D, D)
    norm2: _Norm
    w1: Array  # (D, F) fc1.weightᵀ, a view
    b1: Array | None  # (F,)
    w2: Array  # (F, D) fc2.weightᵀ, a view
    b2: Array | None  # (D,)


def _data(t: Any) -> Array | None:
    if t is None:
        return None
    arr: Array = np.asarray(t.data)
    return arr


def _norm_of(module: Any) -> _Norm:
    return _Norm(
        weight=_data(module.weight),
        bias=_data(getattr(module, "bias", None)),
        eps=float(module.eps),
        centred=isinstance(module, LayerNorm),  # RMSNorm does not subtract the mean
    )


def _normalise(x: Array, norm: _Norm) -> Array:
    """LayerNorm / RMSNorm of rows x (N, D) into a new array (x is left alone: it is the residual stream)."""
    d = x.shape[-1]
    y: Array = x - x.mean(axis=-1, keepdims=True) if norm.centred else x.copy()  # (N, D)
    var = np.einsum("ij,ij->i", y, y)[:, None] / d  # (N, 1) biased variance / mean square
    y *= 1.0 / np.sqrt(var + norm.eps)
    if norm.weight is not None:
        y *= norm.weight
    if norm.bias is not None:
        y += norm.bias
    return y


def _gelu_(x: Array) -> Array:
    """GELU (tanh approximation) in place: x · (1 + tanh(√(2/π)(x + 0.044715 x³))) / 2."""
    h = x * x
    h *= _GELU_C * 0.044715
    h += _GELU_C
    h *= x
    np.tanh(h, out=h)
    h *= 0.5
    h += 0.5
    x *= h
    return x


class FastMiniGPT:
    """A MiniGPT's forward, prefill and decode on plain arrays; see the module docstring."""

    def __init__(self, model: MiniGPT) -> None:
        cfg = model.cfg
        self.cfg = cfg
        self.dtype = model.dtype
        self.n_heads, self.d_head, self.d_model = cfg.n_heads, cfg.d_head, cfg.d_model
        self.n_kv_heads, self.window = (
            cfg.kv_heads,
            cfg.sliding_window,
        )  # phase 27: GQA, sliding window
        self.capacity = cfg.context_len
        weight = model.tok_emb.weight.data
        self._emb: Array = weight  # (V, D)
        head = weight if cfg.tie_embeddings else model.lm_head.weight.data
        self._head: Array = head.T  # (D, V), a view: BLAS reads the transpose in place
        self._pos_table: Array | None = (
            None  # (Tmax, D) added to the embeddings (learned, sinusoidal)
        )
        if cfg.pos == "learned":
            self._pos_table = model.pos_emb.table.data.astype(self.dtype)
        elif model.sin_table is not None:
            self._pos_table = model.sin_table
        self._theta: Array | None = None
        if cfg.pos == "rope":
            self._theta = 10_000.0 ** (
                -np.arange(0, self.d_head, 2, dtype=np.float64) / self.d_head
            )
            self._phasors = self._rope_rows(self._theta, 0, self.capacity)  # (S, D) complex
        self._layers = [self._layer(block) for block in model.blocks]
        self._final = _norm_of(model.norm_f)
        self._keys: Array | None = None  # (L, B, H_kv, S, Dh)
        self._values: Array | None = None  # (L, B, H_kv, S, Dh)
        self.length = 0  # positions run since the last prefill (the next token's absolute position)

    @property
    def config(self) -> Any:
        """The model's config (`miniinfer.generate` reads `config.context_len`)."""
        return self.cfg

    def _layer(self, block: Any) -> _Layer:
        attn, ffn = block.attn, block.ffn
        biases = (attn.b_q, attn.b_k, attn.b_v)
        return _Layer(
            norm1=_norm_of(block.norm1),
            w_qkv=np.concatenate([attn.w_q.data, attn.w_k.data, attn.w_v.data], axis=1),
            b_qkv=None if biases[0] is None else np.concatenate([b.data for b in biases]),
            w_o=attn.w_o.data,
            norm2=_norm_of(block.norm2),
            w1=ffn.fc1.weight.data.T,
            b1=_data(ffn.fc1.bias),
            w2=ffn.fc2.weight.data.T,
            b2=_data(ffn.fc2.bias),
        )

    def _rope_rows(self, theta: Array, start: int, length: int) -> Array:
        """(T, D) complex phasors for the Q|K columns at positions start.., 1/√Dh folded into Q's."""
        angles = np.arange(start, start + length, dtype=np.float64)[:, None] * theta  # (T, Dh/2)
        per_head = rope_phasors(
            np.cos(angles).astype(self.dtype),
            np.sin(angles).astype(self.dtype),
            start=0,
            length=length,
            dtype=self.dtype,
        )  # (T, Dh/2), computed as precompute_rope does (float64 angles, then the model dtype)
        scale = np.asarray(1.0 / math.sqrt(self.d_head), dtype=self.dtype)
        out: Array = np.concatenate(
            [np.tile(per_head, self.n_heads) * scale, np.tile(per_head, self.n_kv_heads)], axis=-1
        )  # (T, (D + D_kv)/2)
        return out

    # ------------------------------------------------------------------ the interface

    def _tokens(self, ids: npt.ArrayLike, what: str) -> npt.NDArray[np.intp]:
        arr = np.asarray(ids)
        if arr.ndim != 2 or arr.dtype.kind not in "iu":
            raise ValueError(
                f"FastMiniGPT {what} must be a (batch, time) integer array, got {arr.dtype} {arr.shape}"
            )
        if arr.size and (arr.min() < 0 or arr.max() >= self.cfg.vocab_size):
            raise ValueError(f"FastMiniGPT {what} holds ids outside 0..{self.cfg.vocab_size - 1}")
        if arr.shape[1] > self.capacity:
            raise ValueError(
                f"FastMiniGPT {what} has {arr.shape[1]} positions, more than context_len={self.capacity}"
            )
        return arr.astype(np.intp, copy=False)

    def __call__(self, ids: npt.ArrayLike) -> Array:
        """ids (B, T) from position 0 → logits (B, T, V); the cache is neither read nor written."""
        tokens = self._tokens(ids, "ids")
        return self._run(tokens, start=0, cache=False)

    def prefill(self, ids: npt.ArrayLike, *, last_only: bool = False) -> Array:
        """Reset the cache, run ids (B, T) from position 0 and keep their keys/values.

        Returns logits (B, T, V), or (B, 1, V) for the last position only with `last_only` (what generation
        reads; it skips T − 1 rows of the LM head).
        """
        tokens = self._tokens(ids, "prefill ids")
        batch = tokens.shape[0]
        shape = (len(self._layers), batch, self.n_kv_heads, self.capacity, self.d_head)
        if self._keys is None or self._keys.shape != shape:
            self._keys = np.zeros(shape, dtype=self.dtype)
            self._values = np.zeros(shape, dtype=self.dtype)
        self.length = 0
        return self._run(tokens, start=0, cache=True, last_only=last_only)

    def decode(self, ids: npt.ArrayLike, *, slide: bool = False) -> Array:
        """The new ids (B, Tnew) after the cached positions → logits (B, Tnew, V).

        With `slide=True` (RoPE only, one new position) a full cache drops its oldest position instead of
        refusing: sliding-window attention, see the module docstring.
        """
        tokens = self._tokens(ids, "decode ids")
        if self._keys is None or self.length == 0:
            raise ValueError(
                "FastMiniGPT.decode needs a filled KV cache: call prefill(prompt) first"
            )
        if tokens.shape[0] != self._keys.shape[1]:
            raise ValueError(
                f"FastMiniGPT.decode got {tokens.shape[0]} rows, the cache holds {self._keys.shape[1]}"
            )
        new = tokens.shape[1]
        if self.length + new > self.capacity:
            if not slide:
                raise ValueError(
                    f"FastMiniGPT.decode: {self.length} cached + {new} new positions exceed "
                    f"context_len={self.capacity}; prefill the cropped window instead"
                )
            if self._theta is None or new != 1:
                raise ValueError(
                    f"FastMiniGPT.decode(slide=True) needs RoPE positions and one new token "
                    f"(pos={self.cfg.pos!r}, {new} new): re-prefill the cropped window instead"
                )
        return self._run(tokens, start=self.length, cache=True)

    def keep_rows(self, rows: npt.ArrayLike) -> None:
        """Keep only these batch rows in the cache (finished sequences leave the batch)."""
        if self._keys is None or self._values is None:
            raise ValueError("FastMiniGPT.keep_rows needs a filled KV cache")
        index = np.asarray(rows, dtype=np.intp)
        self._keys = np.ascontiguousarray(self._keys[:, index])
        self._values = np.ascontiguousarray(self._values[:, index])

    # ------------------------------------------------------------------ the computation

    def _window_blocked(
        self, window: int, start: int, length: int, keys: int, cache: bool
    ) -> npt.NDArray[np.bool_]:
        """(T, Tk) True where a sliding-window model may not read: later keys and keys ≥ W positions back.

        Key slot j holds absolute position j until the cache wraps (`slide`); then slot j holds the newest
        position ≡ j modulo the capacity.
        """
        newest = start + length - 1
        slots = np.arange(keys)
        key_pos = slots  # (Tk,) absolute positions of the slots
        if cache and start + length > self.capacity:
            key_pos = newest - (newest - slots) % self.capacity
        pos = (start + np.arange(length))[:, None]  # (T, 1)
        blocked: npt.NDArray[np.bool_] = (key_pos[None, :] > pos) | (
            key_pos[None, :] <= pos - window
        )
        return blocked

    def _run(
        self, tokens: npt.NDArray[np.intp], *, start: int, cache: bool, last_only: bool = False
    ) -> Array:
        """tokens (B, T) at absolute positions start .. start+T-1 → logits (B, T or 1, V)."""
        batch, length = tokens.shape
        d, heads, d_head = self.d_model, self.n_heads, self.d_head
        kv_heads, d_kv = self.n_kv_heads, self.n_kv_heads * self.d_head
        x = self._emb[tokens].reshape(
            batch * length, d
        )  # (N, D) the residual stream, ours to modify
        if self._pos_table is not None:
            x += np.tile(self._pos_table[start : start + length], (batch, 1))
        phasors = None
        if self._theta is not None:
            if start + length <= self.capacity:
                phasors = self._phasors[start : start + length]  # (T, D) complex
            else:  # sliding past the table: rotate at the true absolute position
                phasors = self._rope_rows(self._theta, start, length)
        slot = start % self.capacity  # where this step's keys go (== start until the window slides)
        stored = min(start + length, self.capacity)  # cached positions the queries may read
        key_buffer, value_buffer = self._keys, self._values
        if cache and (key_buffer is None or value_buffer is None):
            raise ValueError("FastMiniGPT: the KV cache is not allocated: call prefill first")
        blocked = None
        if length > 1:  # decode of one token reads every cached position; more need the causal mask
            keys = np.arange(stored if cache else length)
            past = (stored - length) if cache else 0
            blocked = keys[None, :] > (past + np.arange(length))[:, None]  # (T, Tk)
        if self.window is not None:  # phase 27: keys W or more positions back are blocked too
            blocked = self._window_blocked(
                self.window, start, length, stored if cache else length, cache
            )
        for index, layer in enumerate(self._layers):
            a = _normalise(x, layer.norm1)  # (N, D)
            qkv = a @ layer.w_qkv  # (N, D + 2·D_kv)
            if layer.b_qkv is not None:
                qkv += layer.b_qkv
            qkv3 = qkv.reshape(batch, length, d + 2 * d_kv)
            if phasors is not None:
                qk = rope_rotate(qkv3[..., : d + d_kv], phasors)  # (B, T, D + D_kv) Q̃/√Dh | K̃
            else:
                qk = qkv3[..., : d + d_kv].copy()
                qk[..., :d] *= 1.0 / math.sqrt(d_head)
            q = qk[..., :d].reshape(batch, length, heads, d_head).transpose(0, 2, 1, 3)
            k = qk[..., d:].reshape(batch, length, kv_heads, d_head).transpose(0, 2, 1, 3)
            v = (
                qkv3[..., d + d_kv :].reshape(batch, length, kv_heads, d_head).transpose(0, 2, 1, 3)
            )  # (B, H_kv, T, Dh)
            if cache and key_buffer is not None and value_buffer is not None:
                key_buffer[index, :, :, slot : slot + length] = k  # (B, H, T, Dh)
                value_buffer[index, :, :, slot : slot + length] = v
                k = key_buffer[index, :, :, :stored]  # (B, H_kv, Tk, Dh) views
                v = value_buffer[index, :, :, :stored]
            p = shared_kv_matmul(q, k.swapaxes(-1, -2))  # (B, H, T, Tk)
            if blocked is not None:
                np.copyto(p, MASKED, where=blocked)
            p -= p.max(axis=-1, keepdims=True)
            np.exp(p, out=p)
            p /= p.sum(axis=-1, keepdims=True)
            o = shared_kv_matmul(p, v)  # (B, H, T, Dh)
            x += o.transpose(0, 2, 1, 3).reshape(batch * length, d) @ layer.w_o  # (N, D)
            f = _normalise(x, layer.norm2) @ layer.w1  # (N, F)
            if layer.b1 is not None:
                f += layer.b1
            f = _gelu_(f) @ layer.w2  # (N, D)
            if layer.b2 is not None:
                f += layer.b2
            x += f
        if cache:
            self.length = start + length
        if last_only:
            x = x.reshape(batch, length, d)[:, -1]  # (B, D)
            length = 1
        logits: Array = (_normalise(x, self._final) @ self._head).reshape(batch, length, -1)
        return logits  # (B, T, V)


def as_fast(model: Any) -> Any:
    """`FastMiniGPT(model)` for a plain `MiniGPT`, anything else unchanged.

    Subclasses keep their own path: they may override what the graph computes (phase 22's off-by-one break
    subclasses `MiniGPT` precisely to change the decode position).
    """
    return FastMiniGPT(model) if type(model) is MiniGPT else model


__all__ = ["FastMiniGPT", "as_fast"]
