"""Phase 27: a paged KV cache — keys and values in fixed-size blocks, mapped per sequence like virtual memory.

The contiguous `KVCache` reserves context_len positions per sequence up front: a server holding many requests of
unknown length wastes most of that reservation, and a freed slab of one size rarely fits the next request
(external fragmentation). PagedAttention (vLLM) stores the cache as a pool of blocks of `block_size` positions
(16 by default, as vLLM); a sequence owns a *block table*, the list of physical blocks holding its logical
blocks 0, 1, 2, … Position t lives in block `table[t // block_size]` at slot `t % block_size`. Blocks come from
a free list one at a time, as the sequence grows, so the only waste is the unfilled tail of each sequence's
last block (internal fragmentation, < one block per sequence) and none is external.

Blocks are reference-counted: `fork` gives a child the parent's table (a shared prompt costs its blocks once),
and the first write into a shared block copies it (copy-on-write). With a sliding window of W positions, blocks
whose positions all fell out of the window go back to the free list (`first_position` says where the live
keys start), so a sequence holds about W + block_size positions however long it runs.

`PagedBatchCache` puts a batch of sequences behind the `KVStore` interface the attention layers use, and
`PagedDecoder` runs a `MiniGPT`'s cached inference on it (`miniinfer.generate(..., kv_cache="paged")`): the
logits equal the contiguous cache's (tests). The continuous-batching scheduler allocates, forks and frees
sequences on one `PagedKVCache` directly.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lynx_cortex.errors import LynxError
from minigrad.tensor import Tensor
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig

FloatArray = npt.NDArray[np.floating]
#: vLLM's default page size: large enough for efficient gathers, small enough that the tail waste is small.
BLOCK_SIZE = 16


class OutOfBlocksError(LynxError):
    """The pool has no free block left: a scheduler must wait, preempt a sequence, or grow the pool."""


class BlockAllocator:
    """A pool of `n_blocks` block ids: a free list (a stack: the last freed block is reused first, while it is
    likely still in cache) and a reference count per block."""

    def __init__(self, n_blocks: int) -> None:
        if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 1:
            raise ValueError(f"BlockAllocator needs n_blocks >= 1, got {n_blocks!r}")
        self.n_blocks = n_blocks
        self._free = list(range(n_blocks - 1, -1, -1))  # pop() hands out 0, 1, 2, … first
        self._refs = [0] * n_blocks

    @property
    def n_free(self) -> int:
        return len(self._free)

    @property
    def n_used(self) -> int:
        return self.n_blocks - len(self._free)

    def refcount(self, block: int) -> int:
        return self._refs[block]

    def allocate(self) -> int:
        """A free block with reference count 1."""
        if not self._free:
            raise OutOfBlocksError(f"all {self.n_blocks} KV blocks are in use")
        block = self._free.pop()
        self._refs[block] = 1
        return block

    def share(self, block: int) -> None:
        """One more table points at `block` (fork)."""
        if self._refs[block] < 1:
            raise ValueError(f"block {block} is free; only a used block can be shared")
        self._refs[block] += 1

    def release(self, block: int) -> None:
        """One table less points at `block`; the last one returns it to the free list."""
        if self._refs[block] < 1:
            raise ValueError(f"block {block} is already free (double free)")
        self._refs[block] -= 1
        if self._refs[block] == 0:
            self._free.append(block)


@dataclass
class _Sequence:
    table: list[int]  # logical block i → physical block id (−1 once evicted)
    lengths: list[int]  # positions written, per layer
    first_block: int = 0  # logical blocks before it were evicted (sliding window)


@dataclass(frozen=True)
class PagedStats:
    """A snapshot of the pool. Slots are positions; `filled` counts each physical slot once even when shared."""

    blocks_total: int
    blocks_used: int
    blocks_free: int
    blocks_shared: int  # reference count > 1 (forked prefixes)
    logical_tokens: int  # Σ over sequences of their live positions
    filled_slots: int  # physical slots holding a live position
    internal_waste: int  # allocated but unfilled slots (the tails of last blocks)
    fragmentation: float  # internal_waste / allocated slots (0 when nothing is allocated)


class PagedKVCache:
    """The block pool for every layer, (L, N_blocks, H_kv, block_size, Dh) keys and values, and the sequences'
    block tables. Sequences are named by any hashable id."""

    def __init__(
        self,
        *,
        n_layers: int,
        n_kv_heads: int,
        d_head: int,
        n_blocks: int,
        block_size: int = BLOCK_SIZE,
        window: int | None = None,
        dtype: npt.DTypeLike = np.float32,
    ) -> None:
        for name, value in (
            ("n_layers", n_layers),
            ("n_kv_heads", n_kv_heads),
            ("d_head", d_head),
            ("block_size", block_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"PagedKVCache needs {name} >= 1, got {value!r}")
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 1
        ):
            raise ValueError(f"window must be None or a positive int, got {window!r}")
        self.allocator = BlockAllocator(n_blocks)
        self.n_layers, self.block_size, self.window = n_layers, block_size, window
        shape = (n_layers, n_blocks, n_kv_heads, block_size, d_head)
        self.keys = np.zeros(shape, dtype=dtype)  # (L, N, H_kv, S_b, Dh)
        self.values = np.zeros(shape, dtype=dtype)  # (L, N, H_kv, S_b, Dh)
        self._seqs: dict[Hashable, _Sequence] = {}

    @classmethod
    def for_model(
        cls,
        cfg: MiniGPTConfig,
        *,
        n_blocks: int,
        block_size: int = BLOCK_SIZE,
        dtype: npt.DTypeLike,
    ) -> PagedKVCache:
        """A pool shaped for `cfg` (its key/value heads, head size, layers and sliding window)."""
        return cls(
            n_layers=cfg.n_layers,
            n_kv_heads=cfg.kv_heads,
            d_head=cfg.d_head,
            n_blocks=n_blocks,
            block_size=block_size,
            window=cfg.sliding_window,
            dtype=dtype,
        )

    # ------------------------------------------------------------------ sequences

    def _seq(self, seq: Hashable) -> _Sequence:
        try:
            return self._seqs[seq]
        except KeyError:
            raise KeyError(f"no sequence {seq!r} in the paged cache") from None

    @property
    def sequences(self) -> tuple[Hashable, ...]:
        return tuple(self._seqs)

    def add(self, seq: Hashable) -> None:
        """Register an empty sequence (no block is taken until it writes)."""
        if seq in self._seqs:
            raise ValueError(f"sequence {seq!r} already exists")
        self._seqs[seq] = _Sequence(table=[], lengths=[0] * self.n_layers)

    def free(self, seq: Hashable) -> None:
        """Drop a finished sequence; its blocks return to the pool unless another table shares them."""
        state = self._seq(seq)
        for block in state.table:
            if block >= 0:
                self.allocator.release(block)
        del self._seqs[seq]

    def fork(self, parent: Hashable, child: Hashable) -> None:
        """`child` starts as a copy of `parent` that shares every block (copy-on-write on the first write)."""
        state = self._seq(parent)
        if child in self._seqs:
            raise ValueError(f"sequence {child!r} already exists")
        for block in state.table:
            if block >= 0:
                self.allocator.share(block)
        self._seqs[child] = _Sequence(
            table=list(state.table), lengths=list(state.lengths), first_block=state.first_block
        )

    def length(self, seq: Hashable, layer: int = 0) -> int:
        """Positions written by `layer` of `seq` (the next position's absolute index)."""
        return self._seq(seq).lengths[layer]

    def first_position(self, seq: Hashable) -> int:
        """Absolute position of the first live key (0 unless a sliding window evicted blocks)."""
        return self._seq(seq).first_block * self.block_size

    def block_table(self, seq: Hashable) -> list[int]:
        """The physical blocks of `seq`'s logical blocks, −1 where evicted."""
        return list(self._seq(seq).table)

    # ------------------------------------------------------------------ writing and reading

    def _evict(self, state: _Sequence, before: int) -> None:
        """Release the blocks whose positions all lie before `before`."""
        while (state.first_block + 1) * self.block_size <= before:
            block = state.table[state.first_block]
            if block >= 0:
                self.allocator.release(block)
            state.table[state.first_block] = -1
            state.first_block += 1

    def _writable(self, state: _Sequence, logical: int) -> int:
        """The physical block for logical block `logical`, allocated if new, copied if shared."""
        if logical == len(state.table):
            state.table.append(self.allocator.allocate())
        block = state.table[logical]
        if self.allocator.refcount(block) > 1:  # copy-on-write: the other owner keeps the original
            fresh = self.allocator.allocate()
            self.keys[:, fresh] = self.keys[:, block]
            self.values[:, fresh] = self.values[:, block]
            self.allocator.release(block)
            state.table[logical] = block = fresh
        return block

    def append(self, seq: Hashable, layer: int, keys: FloatArray, values: FloatArray) -> None:
        """Write new positions (H_kv, T, Dh) of `layer` after the ones `seq` holds."""
        state = self._seq(seq)
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"layer must lie in 0..{self.n_layers - 1}, got {layer}")
        expected = self.keys.shape[2], self.keys.shape[4]
        if (
            keys.shape != values.shape
            or keys.ndim != 3
            or (keys.shape[0], keys.shape[2]) != expected
        ):
            raise ValueError(
                f"keys and values must share one (H_kv, T, Dh) = ({expected[0]}, T, {expected[1]}) "
                f"shape, got {keys.shape} and {values.shape}"
            )
        past = state.lengths[layer]
        if self.window is not None and layer == 0:
            # queries of this step sit at ≥ past and read no key at or before past − W
            self._evict(state, past - self.window + 1)
        size, new = self.block_size, keys.shape[1]
        begin = 0
        while begin < new:  # one slice per block the new positions touch
            pos = past + begin
            block, slot = self._writable(state, pos // size), pos % size
            count = min(size - slot, new - begin)
            self.keys[layer, block, :, slot : slot + count] = keys[:, begin : begin + count]
            self.values[layer, block, :, slot : slot + count] = values[:, begin : begin + count]
            begin += count
        state.lengths[layer] = past + new

    def gather(self, seq: Hashable, layer: int) -> tuple[FloatArray, FloatArray]:
        """The live keys and values of `seq` at `layer`, (H_kv, T_live, Dh) each, in position order."""
        state = self._seq(seq)
        length = state.lengths[layer]
        blocks = state.table[state.first_block : math.ceil(length / self.block_size)]
        live = length - state.first_block * self.block_size

        def pages(pool: FloatArray) -> FloatArray:
            chosen = pool[layer, blocks]  # (n, H_kv, S_b, Dh), one gather
            heads, d_head = chosen.shape[1], chosen.shape[3]
            flat = chosen.transpose(1, 0, 2, 3).reshape(heads, -1, d_head)  # (H_kv, n·S_b, Dh)
            out: FloatArray = flat[:, :live]
            return out

        return pages(self.keys), pages(self.values)

    # ------------------------------------------------------------------ accounting

    @property
    def bytes_per_position(self) -> int:
        """Keys and values of one position over every layer: 2 · L · H_kv · Dh · itemsize."""
        return 2 * self.n_layers * self.keys.shape[2] * self.keys.shape[4] * self.keys.itemsize

    def stats(self) -> PagedStats:
        filled: dict[int, int] = {}
        logical = 0
        for state in self._seqs.values():
            length = state.lengths[0]
            logical += length - state.first_block * self.block_size
            for index in range(state.first_block, len(state.table)):
                block = state.table[index]
                used = min(self.block_size, length - index * self.block_size)
                filled[block] = max(filled.get(block, 0), used)
        used_blocks = self.allocator.n_used
        slots = used_blocks * self.block_size
        filled_slots = sum(filled.values())
        shared = sum(1 for b in filled if self.allocator.refcount(b) > 1)
        return PagedStats(
            blocks_total=self.allocator.n_blocks,
            blocks_used=used_blocks,
            blocks_free=self.allocator.n_free,
            blocks_shared=shared,
            logical_tokens=logical,
            filled_slots=filled_slots,
            internal_waste=slots - filled_slots,
            fragmentation=(slots - filled_slots) / slots if slots else 0.0,
        )


class PagedBatchCache:
    """A batch of equal-length sequences of one `PagedKVCache` behind the `KVStore` interface, so the
    attention layers (and `MiniGPT.prefill`/`decode`) can run on it as on the contiguous `KVCache`."""

    def __init__(self, cache: PagedKVCache, seqs: Sequence[Hashable]) -> None:
        if not seqs:
            raise ValueError("PagedBatchCache needs at least one sequence")
        self.cache, self.seqs = cache, tuple(seqs)
        for seq in self.seqs:
            if seq not in cache.sequences:
                cache.add(seq)

    def reset(self) -> None:
        """Free the batch's blocks and start its sequences again, empty."""
        for seq in self.seqs:
            self.cache.free(seq)
            self.cache.add(seq)

    def layer_length(self, layer: int) -> int:
        return self.cache.length(self.seqs[0], layer)

    def first_position(self, layer: int) -> int:
        return self.cache.first_position(self.seqs[0])

    @property
    def length(self) -> int:
        return self.layer_length(0)

    @property
    def nbytes(self) -> int:
        """Bytes of the live keys and values of the batch (what the contiguous cache's `nbytes` counts)."""
        live = sum(self.cache.length(s) - self.cache.first_position(s) for s in self.seqs)
        return live * self.cache.bytes_per_position

    def append(
        self, layer: int, keys: FloatArray, values: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Write (B, H_kv, Tnew, Dh) and return the live (B, H_kv, Tk, Dh) keys and values, gathered."""
        if keys.ndim != 4 or keys.shape[0] != len(self.seqs):
            raise ValueError(
                f"expected (B={len(self.seqs)}, H_kv, T, Dh) keys, got shape {keys.shape}"
            )
        gathered = []
        for row, seq in enumerate(self.seqs):
            self.cache.append(seq, layer, keys[row], values[row])
            gathered.append(self.cache.gather(seq, layer))
        return (
            np.stack([k for k, _ in gathered]),  # (B, H_kv, Tk, Dh)
            np.stack([v for _, v in gathered]),
        )


class PagedDecoder:
    """A `MiniGPT` whose cached inference keeps keys and values in a paged cache: the `prefill`/`decode`
    interface `miniinfer.generate` drives, on the graph path. Each prefill sizes a fresh pool for its batch
    (enough blocks for `context_len` positions per sequence unless `n_blocks` is given)."""

    def __init__(
        self, model: MiniGPT, *, block_size: int = BLOCK_SIZE, n_blocks: int | None = None
    ) -> None:
        self.model, self.block_size, self.n_blocks = model, block_size, n_blocks
        self.cache: PagedKVCache | None = None
        self.batch: PagedBatchCache | None = None

    @property
    def config(self) -> MiniGPTConfig:
        return self.model.cfg

    def __call__(self, ids: npt.ArrayLike) -> Tensor:
        """The uncached forward, unchanged."""
        return self.model(ids)  # type: ignore[no-any-return]

    def prefill(self, ids: npt.ArrayLike) -> Tensor:
        rows = int(np.shape(ids)[0])
        per_seq = math.ceil(self.model.cfg.context_len / self.block_size)
        self.cache = PagedKVCache.for_model(
            self.model.cfg,
            n_blocks=self.n_blocks or rows * per_seq,
            block_size=self.block_size,
            dtype=self.model.dtype,
        )
        self.batch = PagedBatchCache(self.cache, range(rows))
        return self.model.prefill(ids, cache=self.batch)

    def decode(self, ids: npt.ArrayLike) -> Tensor:
        if self.batch is None:
            raise ValueError("PagedDecoder.decode needs a filled cache: call prefill(prompt) first")
        return self.model.decode(ids, cache=self.batch)

    def stats(self) -> dict[str, Any]:
        """The pool's `PagedStats` as a dict (empty before the first prefill)."""
        if self.cache is None:
            return {}
        return asdict(self.cache.stats())


__all__ = [
    "BLOCK_SIZE",
    "BlockAllocator",
    "OutOfBlocksError",
    "PagedBatchCache",
    "PagedDecoder",
    "PagedKVCache",
    "PagedStats",
]
