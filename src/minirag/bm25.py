"""Okapi BM25 over pre-analysed documents, vectorised over postings.

score(q, d) = Σ_{t ∈ q} idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))

Two idf parameterisations, because the literature and the libraries disagree:

- `lucene` (default): idf = ln(1 + (N − df + 0.5)/(df + 0.5)), always positive, so a term that occurs in more
  than half of the documents still counts a little. This is what Lucene and `bm25s` use.
- `okapi`: idf = ln((N − df + 0.5)/(df + 0.5)), negative above df = N/2; negative values are replaced by
  ε · mean(idf) (ε = 0.25). This is exactly `rank_bm25.BM25Okapi`, kept so a test can check us to 1e-9.

Query terms are summed with repetition (a term typed twice counts twice), as in both libraries. The saturated,
length-normalised tf of every posting is precomputed at fit time, so a query costs one gather and one
`np.add.at` per query term.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

Idf = Literal["lucene", "okapi"]
IDF_KINDS: tuple[Idf, ...] = ("lucene", "okapi")
OKAPI_EPSILON = 0.25


class BM25:
    """An inverted index over `docs` (each a list of terms) with fixed k1, b and idf kind."""

    def __init__(
        self,
        docs: Sequence[Sequence[str]],
        *,
        k1: float = 1.5,
        b: float = 0.75,
        idf: Idf = "lucene",
        epsilon: float = OKAPI_EPSILON,
    ) -> None:
        if not docs:
            raise ValueError("BM25 needs at least one document")
        if k1 < 0 or not 0.0 <= b <= 1.0:
            raise ValueError(f"need k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        if idf not in IDF_KINDS:
            raise ValueError(f"idf must be one of {IDF_KINDS}, got {idf!r}")
        self.k1, self.b, self.idf_kind = k1, b, idf
        self.n_docs = len(docs)
        self.doc_len = np.array([len(d) for d in docs], dtype=np.float64)  # (N,)
        self.avgdl = float(self.doc_len.mean()) if self.doc_len.sum() else 1.0
        counts = [Counter(d) for d in docs]
        self.vocab: dict[str, int] = {}
        postings: list[list[tuple[int, int]]] = []
        for doc, tf in enumerate(counts):
            for term, n in tf.items():
                idx = self.vocab.setdefault(term, len(postings))
                if idx == len(postings):
                    postings.append([])
                postings[idx].append((doc, n))
        sizes = np.array([len(p) for p in postings], dtype=np.int64)  # (V,) = df
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])  # (V+1,)
        flat = [pair for p in postings for pair in p]
        self.post_doc = np.array([d for d, _ in flat], dtype=np.int64)  # (P,)
        tf_arr = np.array([n for _, n in flat], dtype=np.float64)  # (P,)
        norm = k1 * (1.0 - b + b * self.doc_len[self.post_doc] / self.avgdl)  # (P,)
        self.post_weight = tf_arr * (k1 + 1.0) / (tf_arr + norm)  # (P,)
        self.df = sizes
        self.idf = self._idf(sizes.astype(np.float64), idf, epsilon)  # (V,)

    def _idf(
        self, df: npt.NDArray[np.float64], kind: Idf, epsilon: float
    ) -> npt.NDArray[np.float64]:
        n = float(self.n_docs)
        if kind == "lucene":
            return np.log1p((n - df + 0.5) / (df + 0.5))
        raw = np.array([math.log(n - x + 0.5) - math.log(x + 0.5) for x in df])  # rank_bm25's order
        floor = epsilon * (float(raw.sum()) / len(raw))
        return np.where(raw < 0, floor, raw)

    def scores(self, query: Sequence[str]) -> npt.NDArray[np.float64]:
        """BM25 of `query` against every document, in document order: (N,)."""
        out = np.zeros(self.n_docs, dtype=np.float64)
        for term in query:
            idx = self.vocab.get(term)
            if idx is None:
                continue
            lo, hi = self.offsets[idx], self.offsets[idx + 1]
            np.add.at(out, self.post_doc[lo:hi], self.idf[idx] * self.post_weight[lo:hi])
        return out

    def top_k(
        self, query: Sequence[str], k: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """The k best documents that match at least one query term (ties by document order) and their
        scores. A document with no query term is not a BM25 candidate at all, so fusion gives it no BM25 vote."""
        s = self.scores(query)
        order = np.lexsort((np.arange(self.n_docs), -s))[:k]
        order = order[s[order] > 0]
        return order.astype(np.int64), s[order]


__all__ = ["BM25", "IDF_KINDS", "OKAPI_EPSILON", "Idf"]
