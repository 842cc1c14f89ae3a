"""Fixtures for minitrain: a small tied-embedding model with MiniGPT's interface and a toy corpus, so the
trainer, batcher and checkpoints are tested on their own, fast."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from minigrad.functional import cross_entropy
from minigrad.nn import Linear, Module, Parameter
from minigrad.tensor import Tensor


class ToyLM(Module):
    """Embedding (tied with the output head) → tanh MLP → logits; next token from the current one only."""

    def __init__(self, vocab_size: int = 16, d: int = 8, *, rng: np.random.Generator) -> None:
        super().__init__()
        self.embed = Parameter(
            rng.normal(0.0, 0.3, size=(vocab_size, d)), dtype=np.float32
        )  # (V, D)
        self.hidden = Linear(d, d, rng=rng)
        self.head = Module()
        self.head.weight = self.embed  # tied: one Parameter under two names

    def forward(self, ids: npt.NDArray[np.int64], *, pad_mask: Any = None) -> Tensor:
        x = self.embed[np.asarray(ids)]  # (B, T, D)
        h = self.hidden(x).tanh()  # (B, T, D)
        return h @ self.head.weight.T  # (B, T, V)

    def loss(
        self,
        ids: npt.NDArray[np.int64],
        targets: npt.NDArray[np.int64],
        loss_mask: npt.NDArray[np.bool_],
    ) -> Tensor:
        masked = np.where(loss_mask, targets, -1)  # (B, T)
        return cross_entropy(self.forward(ids), masked, ignore_index=-1)


def toy_corpus(n: int = 40, vocab: int = 16, seed: int = 3) -> list[list[int]]:
    """Short sequences with a learnable pattern (each token tends to be followed by token + 1)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.integers(3, 10))
        start = int(rng.integers(1, vocab))
        out.append([1 + (start + i - 1) % (vocab - 1) for i in range(length)])
    return out


@pytest.fixture
def corpus() -> list[list[int]]:
    return toy_corpus()


@pytest.fixture
def make_model() -> Any:
    def build(seed: int = 0) -> ToyLM:
        return ToyLM(rng=np.random.default_rng(seed))

    return build
