"""Reciprocal Rank Fusion (Cormack, Clarke & Büttcher 2009): score(d) = Σ_i 1/(k + rank_i(d)), ranks from 1.

RRF reads only ranks, so it fuses a BM25 score (unbounded) with a cosine (in [-1, 1]) without calibrating
either. k = 60 damps the head: rank 1 is worth 1/61 and rank 2 1/62, so one list's top pick cannot outvote a
document that both lists rank well. A document missing from a list gets nothing from it.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def rrf(rankings: Sequence[Sequence[str]], *, k: int = RRF_K) -> list[tuple[str, float]]:
    """Fuse ranked id lists (best first) into one, best first; ties go to the better best rank, then the id."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    scores: dict[str, float] = {}
    best: dict[str, int] = {}
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError("a ranking lists some id twice")
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
            best[doc] = min(best.get(doc, rank), rank)
    return sorted(scores.items(), key=lambda item: (-item[1], best[item[0]], item[0]))


__all__ = ["RRF_K", "rrf"]
