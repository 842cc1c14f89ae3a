"""Retrieval metrics with rule-level relevance: a ranked chunk is relevant when its rule id is labelled.

hit@k = 1 when any relevant item is in the top k; reciprocal rank = 1/rank of the first relevant item (0 when
none is retrieved); MRR and hit-rate are their means over queries. With multi-rule labels these are
"at least one" metrics, which is what a reader needs: one good chunk in the prompt is enough.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence


def first_relevant_rank(ranked: Sequence[str], relevant: Collection[str]) -> int | None:
    """1-based rank of the first relevant label in `ranked`, or None."""
    return next((i for i, label in enumerate(ranked, start=1) if label in relevant), None)


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> bool:
    rank = first_relevant_rank(ranked, relevant)
    return rank is not None and rank <= k


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str]) -> float:
    rank = first_relevant_rank(ranked, relevant)
    return 0.0 if rank is None else 1.0 / rank


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


__all__ = ["first_relevant_rank", "hit_at_k", "mean", "reciprocal_rank"]
