"""Embeddings: a lookup table of dense vectors, trained here by CBOW, and the tools to inspect its geometry.

A lookup `E[ids]` is the matrix product `one_hot(ids) @ E` without building the one-hot matrix. Its backward
scatters the upstream gradient into the rows that were read with `np.add.at` (`minigrad.nn.Embedding`, through
`Tensor.__getitem__`), so an id that appears twice in a batch receives the *sum* of both gradients — a plain
`grad[ids] += g` would keep only one of them.

CBOW (continuous bag of words) predicts the centre token from the mean of the `window` tokens on each side:
h = mean(E[context]) (B, d), logits = h Wᵀ + b (B, V). The output matrix W is separate from E (word2vec's
convention); `tied_logits` shows what tying them demands (phase 13's break).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from minigrad.functional import cross_entropy
from minigrad.nn import Embedding, Module, Parameter
from minigrad.optim import SGD
from minigrad.tensor import Tensor, no_grad

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def make_embedding(
    vocab_size: int, dim: int, *, rng: np.random.Generator, init_scale: float = 0.02
) -> Embedding:
    """`minigrad.nn.Embedding` in float64 with N(0, init_scale²) rows (0.02: GPT-2's embedding init)."""
    emb = Embedding(vocab_size, dim, rng=rng, dtype=np.float64)  # (V, d) ~ N(0, 1)
    emb.weight.data = emb.weight.data * init_scale
    return emb


def tied_logits(h: Tensor, embedding: Embedding, n_classes: int) -> Tensor:
    """Logits (…, V) from hidden states (…, d) through the transposed input table (weight tying).

    Tying is only defined when the output has as many classes as the table has rows; anything else is an
    error here rather than a silently truncated or padded head.
    """
    if n_classes != embedding.num_embeddings:
        raise ValueError(
            f"tied output head needs {n_classes} classes but the embedding has {embedding.num_embeddings} rows; "
            "tie only when the input and output vocabularies are the same size"
        )
    return h @ embedding.weight.T  # (..., V)


def make_cbow_pairs(
    sequences: Sequence[Sequence[int]], window: int = 2
) -> tuple[IntArray, IntArray]:
    """Contexts (N, 2·window) and centres (N,) of every position whose full window fits inside its sequence."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    contexts: list[list[int]] = []
    centres: list[int] = []
    for seq in sequences:
        for i in range(window, len(seq) - window):
            contexts.append([*seq[i - window : i], *seq[i + 1 : i + 1 + window]])
            centres.append(seq[i])
    if not centres:
        raise ValueError(f"no sequence is longer than 2·window = {2 * window} tokens")
    return np.asarray(contexts, dtype=np.intp), np.asarray(centres, dtype=np.intp)


class CBOW(Module):
    """Mean of the context embeddings, then an untied linear layer over the vocabulary."""

    def __init__(self, vocab_size: int, dim: int, *, rng: np.random.Generator) -> None:
        super().__init__()
        self.embed = make_embedding(vocab_size, dim, rng=rng)  # (V, d)
        self.w_out = Parameter(rng.standard_normal((vocab_size, dim)) * 0.02)  # (V, d)
        self.b_out = Parameter(np.zeros(vocab_size))  # (V,)

    def forward(self, contexts: npt.ArrayLike) -> Tensor:
        vectors: Tensor = self.embed(contexts)  # (B, 2k, d)
        h = vectors.mean(axis=1)  # (B, d)
        return h @ self.w_out.T + self.b_out  # (B, V)


@dataclass
class CBOWHistory:
    epoch_losses: list[float] = field(default_factory=list)  # mean training loss of each epoch
    initial_loss: float = float("nan")  # loss of the untrained model on all pairs


def train_cbow(
    model: CBOW,
    contexts: IntArray,
    centres: IntArray,
    *,
    rng: np.random.Generator,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 0.01,
    momentum: float = 0.9,
) -> CBOWHistory:
    """Mini-batch SGD with momentum on the mean cross-entropy; a fresh permutation every epoch."""
    with no_grad():
        initial = cross_entropy(model.forward(contexts), centres).item()
    history = CBOWHistory(initial_loss=initial)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        order = rng.permutation(len(centres))  # (N,)
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]  # (b,)
            loss = cross_entropy(model.forward(contexts[idx]), centres[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history.epoch_losses.append(total / len(order))
    return history


def cosine_matrix(a: FloatArray, b: FloatArray | None = None, eps: float = 1e-12) -> FloatArray:
    """(N, M) cosine similarities between the rows of a (N, d) and b (M, d) (b defaults to a)."""
    other = a if b is None else b
    an = a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), eps)  # (N, d)
    bn = other / np.maximum(np.linalg.norm(other, axis=-1, keepdims=True), eps)  # (M, d)
    sims: FloatArray = an @ bn.T  # (N, M)
    return sims


def nearest(table: FloatArray, query: int, k: int, *, metric: str = "cosine") -> list[int]:
    """The k rows closest to row `query` (excluding it), by cosine similarity or Euclidean distance."""
    if metric == "cosine":
        score = -cosine_matrix(table[query : query + 1], table)[0]  # (V,)
    elif metric == "euclidean":
        score = np.linalg.norm(table - table[query], axis=-1)  # (V,)
    else:
        raise ValueError(f"metric must be 'cosine' or 'euclidean', got {metric!r}")
    score[query] = np.inf
    return [int(i) for i in np.argsort(score, kind="stable")[:k]]


def pca_project(x: FloatArray, k: int = 2) -> tuple[FloatArray, FloatArray]:
    """Rows of x (N, d) projected on their top-k principal axes (N, k), and each axis' variance share (k,)."""
    centred = x - x.mean(axis=0, keepdims=True)  # (N, d)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)  # s: (r,), vt: (r, d)
    share = s**2 / max(float((s**2).sum()), 1e-300)  # (r,)
    return centred @ vt[:k].T, share[:k]  # (N, k), (k,)


def effective_rank(matrix: FloatArray) -> float:
    """exp(entropy of the normalised singular values): how many directions the table really uses."""
    s = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)  # (r,)
    if s.sum() == 0:
        return 0.0
    p = s / s.sum()  # (r,)
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


__all__ = [
    "CBOW",
    "CBOWHistory",
    "Embedding",
    "cosine_matrix",
    "effective_rank",
    "make_cbow_pairs",
    "make_embedding",
    "nearest",
    "pca_project",
    "tied_logits",
    "train_cbow",
]
