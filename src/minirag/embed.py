"""Embedders behind one protocol: text in, unit-length float32 rows out, so cosine similarity is a dot product.

`HashingEmbedder` is the control every learned embedder has to beat: TF-IDF over hashed word unigrams and
character 4-grams (which give it a little morphology: `studies` and `studied` share `stud`), fitted on the
corpus it will index. It needs no training and no vocabulary file, and it is deterministic across processes
because the hash is blake2b, not Python's salted `hash`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from minirag.text import tokenize

F32 = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """What the dense retriever needs: a dimension and a batch encoder returning (N, dim) unit rows."""

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> F32: ...


def l2_normalize(x: npt.NDArray[np.floating], eps: float = 1e-12) -> F32:
    """Rows to unit length; an all-zero row stays zero (it then matches nothing, rather than NaN)."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)  # (N, 1)
    out: F32 = (x / np.maximum(norms, eps)).astype(np.float32)
    return out


def _bucket(feature: str, dim: int) -> int:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % dim


def features(text: str, ngram: int = 4) -> list[str]:
    """Word unigrams plus the character n-grams of each word padded with `<`/`>` boundaries."""
    out: list[str] = []
    for word in tokenize(text):
        out.append(f"w:{word}")
        padded = f"<{word}>"
        out.extend(f"c:{padded[i : i + ngram]}" for i in range(max(1, len(padded) - ngram + 1)))
    return out


class HashingEmbedder:
    """Hashed TF-IDF (sublinear tf, smoothed idf), L2-normalised. Call `fit` on the corpus before `embed`."""

    def __init__(self, dim: int = 512) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive, got {dim}")
        self._dim = dim
        self.idf: F32 = np.ones(dim, dtype=np.float32)  # (dim,)

    @property
    def dim(self) -> int:
        return self._dim

    def _counts(self, texts: Sequence[str]) -> F32:
        counts = np.zeros((len(texts), self._dim), dtype=np.float32)  # (N, dim)
        for row, text in enumerate(texts):
            for feature in features(text):
                counts[row, _bucket(feature, self._dim)] += 1.0
        return counts

    def fit(self, texts: Sequence[str]) -> HashingEmbedder:
        """idf(bucket) = ln((1 + N) / (1 + df)) + 1, the smoothed form that never reaches zero."""
        df = (self._counts(texts) > 0).sum(axis=0)  # (dim,)
        self.idf = (np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0).astype(np.float32)
        return self

    def embed(self, texts: Sequence[str]) -> F32:
        counts = self._counts(texts)  # (N, dim)
        tf = np.where(counts > 0, 1.0 + np.log(np.maximum(counts, 1.0)), 0.0)  # sublinear tf
        return l2_normalize(tf * self.idf)


__all__ = ["F32", "Embedder", "HashingEmbedder", "features", "l2_normalize"]
