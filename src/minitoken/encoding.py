"""Applying learned merges to one word: the naive way (each merge in training order) and the fast way.

The fast encoder repeatedly merges the adjacent pair with the lowest merge rank. That gives exactly the naive
result: a pair of rank r can only be created by merges of rank < r, so once the lowest-ranked pair present has
been merged, no lower-ranked pair can ever appear again. Words are short, so the rank scan is cheap; the
tokenizer also caches every word it has encoded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from minitoken.training import Pair, merge_word


def encode_word_naive(symbols: Sequence[int], merges: Sequence[Pair], first_id: int) -> list[int]:
    out = list(symbols)
    for rank, pair in enumerate(merges):
        if len(out) < 2:
            break
        out = merge_word(out, pair, first_id + rank)
    return out


def encode_word_fast(symbols: Sequence[int], ranks: Mapping[Pair, int], first_id: int) -> list[int]:
    out = list(symbols)
    while len(out) > 1:
        best: Pair | None = None
        best_rank = 0
        for pair in zip(out, out[1:], strict=False):
            rank = ranks.get(pair)
            if rank is not None and (best is None or rank < best_rank):
                best, best_rank = pair, rank
        if best is None:
            break
        out = merge_word(out, best, first_id + best_rank)
    return out
