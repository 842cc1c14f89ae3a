"""Phase 22: the KV cache — keep every layer's keys and values so a new token costs one position, not T.

Without a cache, generating token t+1 recomputes the keys and values of all t earlier positions in every layer,
although they cannot change (attention is causal: position i only ever reads positions ≤ i). The cache stores
them once, per layer, as (B, H, T, Dh) arrays; a decode step projects only the new position and appends it.

The price is memory that grows linearly with the sequence: 2 (keys and values) · L · B · H · T · Dh numbers,
which `nbytes` reports exactly (`bytes_allocated` is what the preallocated buffers reserve for S_max
positions). Tensors are stored as plain ndarrays: the cache is inference-only, nothing flows back through it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]


class KVStore(Protocol):
    """What attention needs from a cache: `KVCache` (contiguous) and phase 27's paged cache both provide it."""

    @property
    def length(self) -> int: ...

    @property
    def nbytes(self) -> int: ...

    def reset(self) -> None: ...

    def layer_length(self, layer: int) -> int: ...

    def first_position(self, layer: int) -> int: ...

    def append(
        self, layer: int, keys: FloatArray, values: FloatArray
    ) -> tuple[FloatArray, FloatArray]: ...


class CacheFullError(ValueError):
    """An append past the cache's capacity: the caller must crop the window and prefill again."""


class KVCache:
    """Per-layer keys and values, each (B, H, T, Dh) views into preallocated (B, H, S_max, Dh) buffers.

    The buffers are allocated on the first append (that is when B, H, Dh and the dtype become known) with room
    for `capacity` positions, so an append is one slice assignment — O(new positions), no concatenation and
    no copy of what is already cached — and reads are views, not copies.
    """

    def __init__(self, n_layers: int, capacity: int) -> None:
        for name, value in (("n_layers", n_layers), ("capacity", capacity)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"KVCache needs {name} >= 1, got {value!r}")
        self.n_layers, self.capacity = n_layers, capacity
        self._keys: list[FloatArray | None] = [None] * n_layers  # (B, H, S_max, Dh) each
        self._values: list[FloatArray | None] = [None] * n_layers  # (B, H, S_max, Dh) each
        self._lengths = [0] * n_layers

    def reset(self) -> None:
        """Forget every position (a new prompt starts at position 0); the buffers are kept for reuse."""
        self._lengths = [0] * self.n_layers

    def _check_layer(self, layer: int) -> None:
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"layer must lie in 0..{self.n_layers - 1}, got {layer}")

    def layer_length(self, layer: int) -> int:
        """Positions held by one layer (they differ only while a forward pass is half-way through)."""
        self._check_layer(layer)
        return self._lengths[layer]

    def first_position(self, layer: int) -> int:
        """Absolute position of the first key `append` returns: always 0, this cache never evicts (the paged
        cache of phase 27 can drop blocks that fell out of a sliding window, and then returns a later one)."""
        self._check_layer(layer)
        return 0

    @property
    def length(self) -> int:
        """Positions cached, T: the absolute position the next token will take."""
        return self.layer_length(0)

    def _buffers(self, layer: int, keys: FloatArray) -> tuple[FloatArray, FloatArray]:
        """This layer's buffers, (re)allocated when empty or shaped for another batch/head size/dtype."""
        batch, heads, _, d_head = keys.shape
        shape = (batch, heads, self.capacity, d_head)
        k_buf, v_buf = self._keys[layer], self._values[layer]
        if k_buf is None or v_buf is None or k_buf.shape != shape or k_buf.dtype != keys.dtype:
            if self._lengths[layer]:
                got = None if k_buf is None else k_buf.shape
                raise ValueError(
                    f"layer {layer} caches (B, H, S_max, Dh) = {got}, cannot append {keys.shape}"
                )
            k_buf = np.zeros(shape, dtype=keys.dtype)
            v_buf = np.zeros(shape, dtype=keys.dtype)
            self._keys[layer], self._values[layer] = k_buf, v_buf
        return k_buf, v_buf

    def append(
        self, layer: int, keys: FloatArray, values: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Write new (B, H, Tnew, Dh) keys and values after `layer`'s cached ones; return views of all of
        them, (B, H, T, Dh) each."""
        self._check_layer(layer)
        if keys.ndim != 4 or keys.shape != values.shape:
            raise ValueError(
                f"keys and values must share one (B, H, T, Dh) shape, got {keys.shape} and {values.shape}"
            )
        past, new = self._lengths[layer], keys.shape[-2]
        if past + new > self.capacity:
            raise CacheFullError(
                f"layer {layer}: {past} cached + {new} new positions exceed the capacity of {self.capacity}"
            )
        k_buf, v_buf = self._buffers(layer, keys)
        k_buf[:, :, past : past + new] = keys  # (B, H, Tnew, Dh)
        v_buf[:, :, past : past + new] = values  # (B, H, Tnew, Dh)
        self._lengths[layer] = past + new
        return k_buf[:, :, : past + new], v_buf[:, :, : past + new]  # views, (B, H, T, Dh)

    @property
    def nbytes(self) -> int:
        """Bytes of the cached keys and values: 2 · L · B · H · T · Dh · itemsize."""
        total = 0
        for layer in range(self.n_layers):
            k_buf = self._keys[layer]
            if k_buf is not None:
                per_position = k_buf.nbytes // self.capacity
                total += 2 * per_position * self._lengths[layer]
        return total

    @property
    def bytes_allocated(self) -> int:
        """Bytes reserved by the buffers: 2 · L · B · H · S_max · Dh · itemsize once every layer is used."""
        return int(sum(a.nbytes for a in self._keys + self._values if a is not None))


def kv_cache_bytes(
    *, n_layers: int, batch: int, n_heads: int, length: int, d_head: int, itemsize: int = 4
) -> int:
    """The closed form 2 · L · B · H · T · Dh · bytes — what a full cache of that shape holds.

    With grouped-query attention pass the *key/value* heads as `n_heads`: only they are cached, so GQA with
    H_kv heads holds H_kv / H of the MHA bytes (MQA, H_kv = 1, holds 1 / H).
    """
    for name, value in {
        "n_layers": n_layers,
        "batch": batch,
        "n_heads": n_heads,
        "length": length,
        "d_head": d_head,
        "itemsize": itemsize,
    }.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"kv_cache_bytes: {name} must be an integer >= 0, got {value!r}")
    return 2 * n_layers * batch * n_heads * length * d_head * itemsize


__all__ = ["CacheFullError", "KVCache", "KVStore", "kv_cache_bytes"]
