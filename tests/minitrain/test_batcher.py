"""Batching: padding, next-token targets, loss masks, deterministic shuffles and resumable positions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitrain.batcher import PAD_ID, Batcher, fixed_batches, make_batch


def test_batch_shapes_follow_the_longest_row() -> None:
    seqs = [list(range(1, n + 1)) for n in (6, 11, 9, 14)]
    batch = make_batch(seqs, [0, 1, 2, 3], context_len=32)
    assert batch.inputs.shape == batch.targets.shape == batch.loss_mask.shape == (4, 13)


def test_targets_are_inputs_shifted_by_one_and_padding_is_masked() -> None:
    seqs = [[5, 6, 7], [8, 9, 10, 11, 12]]
    batch = make_batch(seqs, [0, 1], context_len=32)
    np.testing.assert_array_equal(batch.inputs, [[5, 6, 0, 0], [8, 9, 10, 11]])
    np.testing.assert_array_equal(batch.targets, [[6, 7, 0, 0], [9, 10, 11, 12]])
    np.testing.assert_array_equal(batch.loss_mask, [[1, 1, 0, 0], [1, 1, 1, 1]])
    assert batch.n_tokens == 6


@given(st.lists(st.integers(2, 20), min_size=1, max_size=9))
@settings(max_examples=40, deadline=None)
def test_mask_counts_exactly_the_real_targets(lengths: list[int]) -> None:
    seqs = [[1 + (i % 7)] * n for i, n in enumerate(lengths)]
    batch = make_batch(seqs, list(range(len(seqs))), context_len=8)
    expected = sum(min(n, 9) - 1 for n in lengths)
    assert batch.n_tokens == expected
    assert np.all(batch.targets[~batch.loss_mask] == PAD_ID)
    assert batch.inputs.shape[1] <= 8


def test_too_short_row_is_named() -> None:
    with pytest.raises(ValueError, match="sequence 1 has 1 token"):
        make_batch([[1, 2], [3]], [0, 1], context_len=4)


def test_every_row_once_per_epoch_and_same_seed_same_order() -> None:
    seqs = [[i + 1, i + 2] for i in range(10)]
    a = Batcher(seqs, batch_size=3, context_len=4, rng=np.random.default_rng(7))
    b = Batcher(seqs, batch_size=3, context_len=4, rng=np.random.default_rng(7))
    rows_a = [a.next_batch().rows.tolist() for _ in range(4)]
    rows_b = [b.next_batch().rows.tolist() for _ in range(4)]
    assert rows_a == rows_b
    assert sorted(r for rows in rows_a for r in rows) == list(range(10))
    second_epoch = [a.next_batch().rows.tolist() for _ in range(4)]
    assert a.epoch == 1
    assert sorted(r for rows in second_epoch for r in rows) == list(range(10))
    assert second_epoch != rows_a  # a fresh permutation, not the first epoch replayed


def test_iterator_resume_reads_the_same_batches() -> None:
    seqs = [[i + 1, i + 2, i + 3] for i in range(11)]
    live = Batcher(seqs, batch_size=4, context_len=4, rng=np.random.default_rng(1))
    for _ in range(5):
        live.next_batch()
    snapshot = json.loads(json.dumps(live.state_dict()))
    expected = [live.next_batch().rows.tolist() for _ in range(5)]
    fresh = Batcher(seqs, batch_size=4, context_len=4, rng=np.random.default_rng(999))
    fresh.load_state_dict(snapshot)
    assert [fresh.next_batch().rows.tolist() for _ in range(5)] == expected


def test_state_from_another_dataset_is_refused() -> None:
    a = Batcher([[1, 2]] * 5, batch_size=2, context_len=4, rng=np.random.default_rng(0))
    b = Batcher([[1, 2]] * 6, batch_size=2, context_len=4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_sequences=5"):
        b.load_state_dict(a.state_dict())


def test_fixed_batches_cover_the_split_in_order() -> None:
    seqs = [[i + 1, i + 2] for i in range(7)]
    rows = [b.rows.tolist() for b in fixed_batches(seqs, batch_size=3, context_len=4)]
    assert rows == [[0, 1, 2], [3, 4, 5], [6]]


def test_prompt_lengths_mask_the_source_side_only() -> None:
    # row 0: source [1, 5, 3] then target [7, 8, 1]; the first target predicted is 7, at input position 2
    seqs = [[1, 5, 3, 7, 8, 1], [1, 6, 3, 9, 1]]
    batch = make_batch(seqs, [0, 1], context_len=32, prompt_lens=[3, 3])
    assert batch.loss_mask.tolist() == [
        [False, False, True, True, True],
        [False, False, True, True, False],
    ]
    assert batch.targets[0][batch.loss_mask[0]].tolist() == [7, 8, 1]
    assert batch.pad_mask.tolist() == [
        [True] * 5,
        [True] * 4 + [False],
    ]  # attention still sees the source
    with pytest.raises(ValueError, match="prompt length 5 must leave"):
        make_batch(seqs, [1], context_len=32, prompt_lens=[3, 5])
    with pytest.raises(ValueError, match="1 prompt lengths for 2 sequences"):
        list(fixed_batches(seqs, batch_size=2, context_len=32, prompt_lens=[3]))
