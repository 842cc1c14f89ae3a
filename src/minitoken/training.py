"""BPE training, twice: a naive reference that recounts every pair per merge, and the incremental trainer.

Both take the corpus as distinct words (byte-id tuples) with their counts and return the merges in order.
The rule, shared by both: merge the pair with the highest count; on a tie, the smallest pair of ids. The
incremental trainer keeps pair counts, an index from each pair to the words containing it, and a heap of
(-count, pair) with lazy deletion, so a merge costs work proportional to the words it touches rather than to
the corpus. Tests prove the two produce identical merges.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

Pair = tuple[int, int]
Word = tuple[int, ...]
Progress = Callable[[int], None]
#: Called by the naive trainer before each merge with (step, pair counts, winner): lets a lab show its work.
Observer = Callable[[int, Mapping[Pair, int], Pair], None]


def merge_word(symbols: Sequence[int], pair: Pair, new_id: int) -> list[int]:
    """Replace every occurrence of `pair`, scanning left to right (so `aaa` with `(a, a)` gives `[aa, a]`)."""
    first, second = pair
    out: list[int] = []
    i, n = 0, len(symbols)
    while i < n:
        if i + 1 < n and symbols[i] == first and symbols[i + 1] == second:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def count_pairs(words: Mapping[Word, int]) -> dict[Pair, int]:
    counts: dict[Pair, int] = defaultdict(int)
    for word, count in words.items():
        for pair in zip(word, word[1:], strict=False):
            counts[pair] += count
    return counts


def pick_winner(counts: Mapping[Pair, int]) -> Pair:
    """Highest count, then the smallest pair of ids: independent of dict order."""
    return min(counts, key=lambda pair: (-counts[pair], pair))


def train_naive(
    words: Mapping[Word, int],
    n_merges: int,
    first_id: int,
    progress: Progress | None = None,
    observe: Observer | None = None,
) -> list[Pair]:
    """Reference trainer: full recount of every pair before each merge. O(merges x corpus)."""
    current: dict[Word, int] = dict(words)
    merges: list[Pair] = []
    for step in range(n_merges):
        counts = count_pairs(current)
        if not counts:
            break
        winner = pick_winner(counts)
        if observe is not None:
            observe(step + 1, counts, winner)
        new_id = first_id + step
        merged: dict[Word, int] = defaultdict(int)
        for word, count in current.items():
            merged[tuple(merge_word(word, winner, new_id))] += count
        current = merged
        merges.append(winner)
        if progress is not None:
            progress(step + 1)
    return merges


def train_fast(
    words: Mapping[Word, int], n_merges: int, first_id: int, progress: Progress | None = None
) -> list[Pair]:
    """Incremental trainer: identical merges to `train_naive`, touching only the words a merge changes."""
    sequences = [list(word) for word in words]
    weights = list(words.values())
    counts: dict[Pair, int] = defaultdict(int)
    where: dict[Pair, set[int]] = defaultdict(set)
    for index, symbols in enumerate(sequences):
        for pair in zip(symbols, symbols[1:], strict=False):
            counts[pair] += weights[index]
            where[pair].add(index)
    heap = [(-count, pair) for pair, count in counts.items()]
    heapq.heapify(heap)

    merges: list[Pair] = []
    while len(merges) < n_merges:
        winner: Pair | None = None
        while heap:
            neg_count, pair = heapq.heappop(heap)
            if counts.get(pair, 0) == -neg_count > 0:
                winner = pair
                break
        if winner is None:
            break
        new_id = first_id + len(merges)
        touched: set[Pair] = set()
        for index in where.pop(winner):
            old = sequences[index]
            new = merge_word(old, winner, new_id)
            if len(new) == len(old):
                continue  # a stale index entry: this word no longer holds the pair
            weight = weights[index]
            for pair in zip(old, old[1:], strict=False):
                counts[pair] -= weight
                touched.add(pair)
            for pair in zip(new, new[1:], strict=False):
                counts[pair] += weight
                where[pair].add(index)
                touched.add(pair)
            sequences[index] = new
        for pair in touched:
            count = counts[pair]
            if count > 0:
                heapq.heappush(heap, (-count, pair))
            else:
                del counts[pair]
                where.pop(pair, None)
        merges.append(winner)
        if progress is not None:
            progress(len(merges))
    return merges
