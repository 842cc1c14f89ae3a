"""Phase 27: the paged KV cache — allocator, block tables, copy-on-write, eviction, and paged == contiguous."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig
from minimodel.paged_kv import (
    BlockAllocator,
    OutOfBlocksError,
    PagedBatchCache,
    PagedDecoder,
    PagedKVCache,
)

SMALL = MiniGPTConfig(vocab_size=29, d_model=16, n_heads=4, n_layers=2, d_ff=32, context_len=24)


def _pool(n_blocks: int = 8, block_size: int = 4, **kw: Any) -> PagedKVCache:
    return PagedKVCache(
        n_layers=2,
        n_kv_heads=2,
        d_head=3,
        n_blocks=n_blocks,
        block_size=block_size,
        dtype=np.float64,
        **kw,
    )


def _kv(seed: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(2, length, 3)), rng.normal(size=(2, length, 3))  # (H_kv, T, Dh)


# ----------------------------------------------------------------------------- allocator


def test_allocator_free_list_and_refcounts() -> None:
    alloc = BlockAllocator(3)
    a, b = alloc.allocate(), alloc.allocate()
    assert (a, b) == (0, 1) and alloc.n_free == 1
    alloc.share(a)
    alloc.release(a)
    assert alloc.refcount(a) == 1 and alloc.n_used == 2  # still held by its other owner
    alloc.release(a)
    assert alloc.n_free == 2
    assert alloc.allocate() == a  # the free list is a stack: the last freed block comes back first
    alloc.allocate()
    with pytest.raises(OutOfBlocksError, match="3 KV blocks"):
        alloc.allocate()
    with pytest.raises(ValueError, match="double free"):
        alloc.release(b)
        alloc.release(b)


# ----------------------------------------------------------------------------- tables, gather, fork, evict


@given(chunks=st.lists(st.integers(1, 9), min_size=1, max_size=5), block_size=st.integers(1, 6))
def test_gather_returns_exactly_what_was_appended(chunks: list[int], block_size: int) -> None:
    pool = _pool(n_blocks=64, block_size=block_size)
    pool.add("s")
    written_k, written_v = [], []
    for i, n in enumerate(chunks):
        k, v = _kv(i, n)
        for layer in range(2):
            pool.append("s", layer, k + layer, v - layer)
        written_k.append(k)
        written_v.append(v)
    total = sum(chunks)
    keys, values = pool.gather("s", 1)
    np.testing.assert_array_equal(keys, np.concatenate(written_k, axis=1) + 1)
    np.testing.assert_array_equal(values, np.concatenate(written_v, axis=1) - 1)
    assert len(pool.block_table("s")) == -(-total // block_size)
    stats = pool.stats()
    assert stats.logical_tokens == stats.filled_slots == total
    assert stats.internal_waste == stats.blocks_used * block_size - total < block_size


def test_blocks_come_from_anywhere_in_the_pool() -> None:
    pool = _pool(n_blocks=6, block_size=2)
    for seq in ("a", "b"):
        pool.add(seq)
    ka, va = _kv(0, 6)
    kb, vb = _kv(1, 6)
    for t in range(6):  # interleaved growth: the two tables end up non-contiguous
        pool.append("a", 0, ka[:, t : t + 1], va[:, t : t + 1])
        pool.append("b", 0, kb[:, t : t + 1], vb[:, t : t + 1])
    assert pool.block_table("a") == [0, 2, 4] and pool.block_table("b") == [1, 3, 5]
    np.testing.assert_array_equal(pool.gather("a", 0)[0], ka)
    np.testing.assert_array_equal(pool.gather("b", 0)[1], vb)
    pool.free("a")
    assert pool.stats().blocks_free == 3
    pool.add("c")
    with pytest.raises(OutOfBlocksError):
        pool.append("c", 0, *_kv(2, 7))  # needs 4 blocks, 3 are free


def test_fork_shares_blocks_and_copies_on_write() -> None:
    pool = _pool(block_size=4)
    pool.add("parent")
    k, v = _kv(0, 6)
    pool.append("parent", 0, k, v)  # blocks: [full, half]
    pool.fork("parent", "child")
    assert pool.block_table("child") == pool.block_table("parent")
    assert pool.stats().blocks_shared == 2 and pool.stats().blocks_used == 2
    k2, v2 = _kv(1, 1)
    pool.append("child", 0, k2, v2)  # the half block is shared: copied before the write
    parent, child = pool.block_table("parent"), pool.block_table("child")
    assert parent[0] == child[0] and parent[1] != child[1]
    np.testing.assert_array_equal(pool.gather("parent", 0)[0], k)  # the parent never sees the write
    np.testing.assert_array_equal(pool.gather("child", 0)[0], np.concatenate([k, k2], axis=1))
    stats = pool.stats()
    assert stats.blocks_used == 3 and stats.blocks_shared == 1
    assert stats.logical_tokens == 13 and stats.filled_slots == 4 + 2 + 3  # the shared prefix once
    pool.free("parent")
    pool.free("child")
    assert pool.stats().blocks_free == 8


def test_a_sliding_window_evicts_whole_blocks() -> None:
    pool = _pool(n_blocks=4, block_size=2, window=3)
    pool.add("s")
    k, v = _kv(0, 20)
    for t in range(20):
        pool.append("s", 0, k[:, t : t + 1], v[:, t : t + 1])
        first = pool.first_position("s")
        # the step at position t reads keys t−2..t: all of them are still there
        assert first <= t - 2 or first == 0
        keys, _ = pool.gather("s", 0)
        np.testing.assert_array_equal(keys, k[:, first : t + 1])
        assert pool.stats().blocks_used <= 3  # 20 positions in a pool of 4 blocks of 2
    assert pool.block_table("s")[0] == -1


# ----------------------------------------------------------------------------- paged == contiguous

VARIANTS = {
    "mha": {},
    "gqa-2": {"n_kv_heads": 2},
    "mqa, window 5": {"n_kv_heads": 1, "sliding_window": 5},
}


def _model(cfg: MiniGPTConfig, dtype: Any = np.float64) -> MiniGPT:
    model = MiniGPT(cfg, rng=np.random.default_rng(0), dtype=dtype)
    model.tok_emb.weight.data *= 20.0
    return model


@pytest.mark.parametrize("block_size", [1, 3, 16])
@pytest.mark.parametrize("variant", list(VARIANTS), ids=str)
def test_paged_decode_equals_the_contiguous_cache(variant: str, block_size: int) -> None:
    model = _model(replace(SMALL, **VARIANTS[variant]))
    seq = np.random.default_rng(1).integers(0, 29, size=(3, 20))
    paged = PagedDecoder(model, block_size=block_size)
    # float64; equal to rounding (the gathered keys are contiguous copies, the cache's are strided views,
    # so BLAS may sum in another order)
    np.testing.assert_allclose(
        paged.prefill(seq[:, :7]).data, model.prefill(seq[:, :7]).data, rtol=0, atol=1e-12
    )
    for t in range(7, 20):
        np.testing.assert_allclose(
            paged.decode(seq[:, t : t + 1]).data,
            model.decode(seq[:, t : t + 1]).data,
            rtol=0,
            atol=1e-12,
            err_msg=f"t={t}",
        )
    assert paged.batch is not None and paged.batch.nbytes <= model.kv_cache.nbytes
    if "sliding_window" not in VARIANTS[variant]:
        assert paged.batch.nbytes == model.kv_cache.nbytes


def test_the_window_bounds_the_paged_memory() -> None:
    model = _model(replace(SMALL, sliding_window=4))
    seq = np.random.default_rng(2).integers(0, 29, size=(1, 24))
    full = model.forward(seq).data  # (1, T, V) with the banded mask
    paged = PagedDecoder(model, block_size=2)
    paged.prefill(seq[:, :1])
    for t in range(1, 24):
        step = paged.decode(seq[:, t : t + 1]).data[:, 0]
        np.testing.assert_allclose(step, full[:, t], rtol=0, atol=1e-9, err_msg=f"t={t}")
        assert paged.cache is not None
        assert paged.cache.stats().blocks_used <= 3  # W + one block, never the whole sequence


def test_generate_with_the_paged_cache_gives_the_same_tokens() -> None:
    model = _model(replace(SMALL, n_kv_heads=2), dtype=np.float32)
    kw: dict[str, Any] = {"max_new_tokens": 30, "strategy": Greedy(), "seed": 0}
    contiguous = generate(model, [1, 2, 3], **kw)
    assert (
        generate(model, [1, 2, 3], kv_cache="paged", **kw) == contiguous
    )  # 33 > context 24: re-prefills
    with pytest.raises(ValueError, match="kv_cache"):
        generate(model, [1], kv_cache="virtual", **kw)  # type: ignore[arg-type]


def test_batch_cache_checks_its_batch() -> None:
    pool = PagedKVCache.for_model(SMALL, n_blocks=4, dtype=np.float64)
    batch = PagedBatchCache(pool, ["a", "b"])
    with pytest.raises(ValueError, match="B=2"):
        batch.append(0, np.zeros((3, 4, 1, 4)), np.zeros((3, 4, 1, 4)))
    with pytest.raises(ValueError, match="at least one"):
        PagedBatchCache(pool, [])


OPS = st.lists(
    st.tuples(st.sampled_from(["append", "fork", "free"]), st.integers(0, 3), st.integers(1, 7)),
    min_size=1,
    max_size=25,
)


@given(ops=OPS, block_size=st.integers(1, 5))
def test_any_program_of_appends_forks_and_frees_keeps_the_books(
    ops: list[tuple[str, int, int]], block_size: int
) -> None:
    """Against a plain dict of arrays: every gather is right, refcounts equal the tables pointing at a block,
    the free list holds exactly the unreferenced blocks."""
    pool = _pool(n_blocks=200, block_size=block_size)
    reference: dict[int, np.ndarray] = {}
    rng = np.random.default_rng(0)
    for op, seq, n in ops:
        if op == "append":
            if seq not in reference:
                pool.add(seq)
                reference[seq] = np.zeros((2, 0, 3))
            k = rng.normal(size=(2, n, 3))
            for layer in range(2):
                pool.append(seq, layer, k, -k)
            reference[seq] = np.concatenate([reference[seq], k], axis=1)
        elif op == "fork" and seq in reference:
            child = max(reference) + 1
            pool.fork(seq, child)
            reference[child] = reference[seq].copy()
        elif op == "free" and seq in reference:
            pool.free(seq)
            del reference[seq]
        for name, expected in reference.items():
            keys, values = pool.gather(name, 1)
            np.testing.assert_array_equal(keys, expected)
            np.testing.assert_array_equal(values, -expected)
        owners: dict[int, int] = {}
        for name in reference:
            for block in pool.block_table(name):
                owners[block] = owners.get(block, 0) + 1
        for block in range(pool.allocator.n_blocks):
            assert pool.allocator.refcount(block) == owners.get(block, 0)
        assert pool.allocator.n_used == len(owners)
