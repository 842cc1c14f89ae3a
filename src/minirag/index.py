"""Vector indexes over unit-length rows: an exact `FlatIndex` and an approximate `IVFIndex`.

Flat search is one matrix-vector product and a partial sort: O(N·d) per query, exact, and for a KB of a few
hundred chunks far faster than anything cleverer. `IVFIndex` (inverted file) is the simplest approximate index:
k-means the vectors into `n_lists` cells, and at query time scan only the `n_probe` cells whose centroids are
closest. It trades recall for speed once N is large (phase 29's scaling lab measures where that pays).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from minirag.embed import F32

I64 = npt.NDArray[np.int64]


def _as_queries(q: npt.NDArray[np.floating], dim: int) -> F32:
    queries = np.atleast_2d(np.asarray(q, dtype=np.float32))  # (Q, d)
    if queries.ndim != 2 or queries.shape[1] != dim:
        raise ValueError(f"queries must have shape (d,) or (Q, d) with d = {dim}, got {q.shape}")
    return queries


def top_k_rows(scores: npt.NDArray[np.floating], k: int) -> tuple[I64, F32]:
    """Row-wise top-k of a (Q, N) score matrix, best first: argpartition then a sort of only k columns."""
    n = scores.shape[1]
    k = min(k, n)
    if k <= 0:
        q = scores.shape[0]
        return np.zeros((q, 0), dtype=np.int64), np.zeros((q, 0), dtype=np.float32)
    part = (
        np.argpartition(-scores, k - 1, axis=1)[:, :k]
        if k < n
        else np.tile(np.arange(n), (scores.shape[0], 1))
    )
    part_scores = np.take_along_axis(scores, part, axis=1)  # (Q, k)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    ids = np.take_along_axis(part, order, axis=1).astype(np.int64)  # (Q, k)
    return ids, np.take_along_axis(part_scores, order, axis=1).astype(np.float32)


class FlatIndex:
    """Exact inner-product search over an (N, d) float32 matrix."""

    def __init__(self, vectors: npt.NDArray[np.floating]) -> None:
        self.vectors: F32 = np.ascontiguousarray(vectors, dtype=np.float32)  # (N, d)
        if self.vectors.ndim != 2:
            raise ValueError(f"vectors must be (N, d), got shape {self.vectors.shape}")

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes)

    def search(self, q: npt.NDArray[np.floating], k: int) -> tuple[I64, F32]:
        """(ids, scores), each (Q, k), best first; a single (d,) query gives Q = 1."""
        queries = _as_queries(q, self.dim)
        return top_k_rows(queries @ self.vectors.T, k)  # (Q, N) scores


def kmeans(x: F32, n_clusters: int, *, iters: int, rng: np.random.Generator) -> F32:
    """Spherical k-means (centroids renormalised, assignment by inner product), seeded from random rows."""
    centroids = x[rng.choice(len(x), size=n_clusters, replace=False)].copy()  # (C, d)
    for _ in range(iters):
        assign = np.argmax(x @ centroids.T, axis=1)  # (N,)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, x)
        empty = np.bincount(assign, minlength=n_clusters) == 0
        sums[empty] = x[
            rng.choice(len(x), size=int(empty.sum()), replace=False)
        ]  # reseed empty cells
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return centroids.astype(np.float32)


class IVFIndex:
    """Approximate search: scan the `n_probe` closest of `n_lists` k-means cells."""

    def __init__(
        self,
        vectors: npt.NDArray[np.floating],
        *,
        n_lists: int,
        n_probe: int = 8,
        iters: int = 10,
        train_size: int = 50_000,
        seed: int = 0,
    ) -> None:
        data = np.ascontiguousarray(vectors, dtype=np.float32)  # (N, d)
        if not 1 <= n_lists <= len(data):
            raise ValueError(f"need 1 <= n_lists <= N, got {n_lists} for N = {len(data)}")
        rng = np.random.default_rng(seed)
        sample = data[rng.choice(len(data), size=min(train_size, len(data)), replace=False)]
        self.centroids = kmeans(sample, n_lists, iters=iters, rng=rng)  # (C, d)
        assign = np.argmax(data @ self.centroids.T, axis=1)  # (N,)
        order = np.argsort(assign, kind="stable")
        self.ids: I64 = order.astype(np.int64)  # vector ids grouped by cell
        self.vectors = data[order]  # (N, d), cell-contiguous
        counts = np.bincount(assign, minlength=n_lists)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)  # (C+1,)
        self.n_probe = n_probe

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def nbytes(self) -> int:
        return int(
            self.vectors.nbytes + self.ids.nbytes + self.centroids.nbytes + self.offsets.nbytes
        )

    def search(self, q: npt.NDArray[np.floating], k: int) -> tuple[I64, F32]:
        queries = _as_queries(q, self.dim)
        n_probe = min(self.n_probe, len(self.centroids))
        cells, _ = top_k_rows(queries @ self.centroids.T, n_probe)  # (Q, P)
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        for row, query in enumerate(queries):
            spans = [np.arange(self.offsets[c], self.offsets[c + 1]) for c in cells[row]]
            rows = np.concatenate(spans)  # positions inside the cell-sorted arrays
            ids, scores = top_k_rows((self.vectors[rows] @ query)[None, :], k)
            out_ids[row, : ids.shape[1]] = self.ids[rows[ids[0]]]
            out_scores[row, : ids.shape[1]] = scores[0]
        return out_ids, out_scores


__all__ = ["FlatIndex", "IVFIndex", "kmeans", "top_k_rows"]
