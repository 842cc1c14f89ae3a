"""Phase 33: a KV cache of independent slots, each row at its own position — what continuous batching needs.

`FastMiniGPT` keeps one position counter for the whole batch: every row has been prefilled together and grows
together, so a sequence can join only when a new batch starts. A server that admits a request between two
decode steps needs rows at *different* positions in one decode call. `SlotMiniGPT` keeps a pool of `slots`
cache rows, each with its own length:

- `prefill_slot(slot, ids)` runs one prompt from position 0 into one slot (the same computation as
  `FastMiniGPT.prefill` of a one-row batch: its cache is pointed at the slot's rows for the call);
- `decode_slots(slots, ids)` appends one token to each listed slot, every row at its own position, in one
  batched pass: the projections, the MLP and the LM head see a (B, D) matrix; attention reads each row's keys
  up to the longest row and masks the positions a row has not written (pad + mask, one matmul per layer).

Positions must stay inside the window (`context_len`): a server bounds prompt + answer up front instead of
cropping and re-prefilling mid-flight. Sliding-window models are refused (their mask depends on the position
in a way this class does not rebuild).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from minimodel.fused_attention import MASKED, shared_kv_matmul
from minimodel.infer import FastMiniGPT, _gelu_, _normalise
from minimodel.mini_gpt import MiniGPT
from minimodel.positional import rope_rotate

Array = npt.NDArray[Any]


class SlotMiniGPT(FastMiniGPT):
    """A `FastMiniGPT` whose cache is `slots` independent rows; see the module docstring."""

    def __init__(self, model: MiniGPT, slots: int) -> None:
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a positive integer, got {slots!r}")
        super().__init__(model)
        if self.window is not None:
            raise ValueError("SlotMiniGPT does not support sliding-window attention models")
        self.slots = slots
        shape = (len(self._layers), slots, self.n_kv_heads, self.capacity, self.d_head)
        self._pool_keys: Array = np.zeros(shape, dtype=self.dtype)  # (L, R, H_kv, S, Dh)
        self._pool_values: Array = np.zeros(shape, dtype=self.dtype)
        self.lengths = np.zeros(slots, dtype=np.intp)  # (R,) positions held by each slot

    def _slot(self, slot: int) -> int:
        if isinstance(slot, bool) or not isinstance(slot, int | np.integer):
            raise ValueError(f"slot must be an integer, got {slot!r}")
        if not 0 <= slot < self.slots:
            raise ValueError(f"slot {slot} is outside 0..{self.slots - 1}")
        return int(slot)

    def prefill_slot(self, slot: int, ids: npt.ArrayLike) -> Array:
        """Run the prompt ids (T,) from position 0 into `slot` (its old content is dropped) → last logits (V,)."""
        row = self._slot(slot)
        tokens = self._tokens(np.asarray(ids).reshape(1, -1), "prefill ids")
        if tokens.shape[1] == 0:
            raise ValueError("prefill_slot needs at least one token")
        self._keys = self._pool_keys[:, row : row + 1]  # (L, 1, H_kv, S, Dh) views into the pool
        self._values = self._pool_values[:, row : row + 1]
        try:
            logits = self._run(tokens, start=0, cache=True, last_only=True)  # (1, 1, V)
        finally:
            self._keys = self._values = None
        self.lengths[row] = tokens.shape[1]
        out: Array = logits[0, 0]  # (V,)
        return out

    def decode_slots(self, slots: npt.ArrayLike, ids: npt.ArrayLike) -> Array:
        """One new token per listed slot, each at its slot's own position → logits (B, V)."""
        rows = np.asarray(slots, dtype=np.intp).reshape(-1)  # (B,)
        batch = rows.shape[0]
        if batch == 0:
            return np.zeros((0, self.cfg.vocab_size), dtype=self.dtype)
        if rows.min() < 0 or rows.max() >= self.slots or len(set(rows.tolist())) != batch:
            raise ValueError(
                f"slots must be distinct ids in 0..{self.slots - 1}, got {rows.tolist()}"
            )
        tokens = self._tokens(np.asarray(ids).reshape(batch, 1), "decode ids")  # (B, 1)
        pos = self.lengths[rows]  # (B,) where each row's new token goes
        if (pos == 0).any():
            raise ValueError("decode_slots: every slot must be prefilled first")
        if (pos >= self.capacity).any():
            raise ValueError(
                f"decode_slots: a slot is full (context_len={self.capacity}); bound the request instead"
            )
        d, heads, d_head = self.d_model, self.n_heads, self.d_head
        kv_heads, d_kv = self.n_kv_heads, self.n_kv_heads * self.d_head
        x = self._emb[tokens[:, 0]].copy()  # (B, D) the residual stream
        if self._pos_table is not None:
            x += self._pos_table[pos]
        phasors = self._phasors[pos][:, None, :] if self._theta is not None else None  # (B, 1, ·)
        keys = int(pos.max()) + 1  # key positions read: up to the longest row's new token
        blocked = (np.arange(keys)[None, :] > pos[:, None])[:, None, None, :]  # (B, 1, 1, Tk)
        for index, layer in enumerate(self._layers):
            a = _normalise(x, layer.norm1)  # (B, D)
            qkv = a @ layer.w_qkv  # (B, D + 2·D_kv)
            if layer.b_qkv is not None:
                qkv += layer.b_qkv
            qkv3 = qkv.reshape(batch, 1, d + 2 * d_kv)
            if phasors is not None:
                qk = rope_rotate(qkv3[..., : d + d_kv], phasors)  # (B, 1, D + D_kv)
            else:
                qk = qkv3[..., : d + d_kv].copy()
                qk[..., :d] *= 1.0 / math.sqrt(d_head)
            q = qk[..., :d].reshape(batch, 1, heads, d_head).transpose(0, 2, 1, 3)  # (B, H, 1, Dh)
            k = qk[:, 0, d:].reshape(batch, kv_heads, d_head)  # (B, H_kv, Dh)
            v = qkv3[:, 0, d + d_kv :].reshape(batch, kv_heads, d_head)  # (B, H_kv, Dh)
            self._pool_keys[index, rows, :, pos] = k
            self._pool_values[index, rows, :, pos] = v
            k_all = self._pool_keys[index, rows, :, :keys]  # (B, H_kv, Tk, Dh) gathered
            v_all = self._pool_values[index, rows, :, :keys]
            p = shared_kv_matmul(q, k_all.swapaxes(-1, -2))  # (B, H, 1, Tk)
            np.copyto(p, MASKED, where=blocked)
            p -= p.max(axis=-1, keepdims=True)
            np.exp(p, out=p)
            p /= p.sum(axis=-1, keepdims=True)
            o = shared_kv_matmul(p, v_all)  # (B, H, 1, Dh)
            x += o.reshape(batch, d) @ layer.w_o  # (B, D)
            f = _normalise(x, layer.norm2) @ layer.w1  # (B, F)
            if layer.b1 is not None:
                f += layer.b1
            f = _gelu_(f) @ layer.w2  # (B, D)
            if layer.b2 is not None:
                f += layer.b2
            x += f
        self.lengths[rows] = pos + 1
        logits: Array = _normalise(x, self._final) @ self._head  # (B, V)
        return logits

    def release(self, slot: int) -> None:
        """Forget `slot`'s positions (its rows are overwritten by the next prefill)."""
        self.lengths[self._slot(slot)] = 0


__all__ = ["SlotMiniGPT"]
