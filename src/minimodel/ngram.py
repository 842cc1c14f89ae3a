"""The add-α n-gram language model: the baseline every neural model in the course has to beat.

Counts of (context of n-1 tokens → next token) with add-α smoothing,
P(w | c) = (count(c, w) + α) / (count(c) + α|V|), so unseen continuations keep a small probability and
perplexity stays finite. Sequences are lists of token ids whose first token is the begin-of-sequence marker;
it also pads the left context, so the first real token is predicted from (n-1) copies of it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

Context = tuple[int, ...]


class NGramLM:
    def __init__(self, n: int, vocab_size: int, alpha: float = 0.01) -> None:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be positive, got {vocab_size}")
        if not alpha > 0:
            raise ValueError(
                f"alpha must be positive (it keeps unseen tokens possible), got {alpha}"
            )
        self.n, self.vocab_size, self.alpha = n, vocab_size, alpha
        self.counts: dict[Context, Counter[int]] = defaultdict(Counter)
        self.totals: Counter[Context] = Counter()

    def _events(self, sequence: Sequence[int]) -> Iterable[tuple[Context, int]]:
        """(context, next token) for every predicted position of one sequence."""
        if len(sequence) < 2:
            return
        width = self.n - 1
        padded = [sequence[0]] * width + list(sequence)
        for i in range(width + 1, len(padded)):
            yield tuple(padded[i - width : i]), padded[i]

    def _check(self, sequence: Sequence[int]) -> None:
        bad = next((t for t in sequence if not 0 <= t < self.vocab_size), None)
        if bad is not None:
            raise ValueError(f"token id {bad} is outside the vocabulary 0..{self.vocab_size - 1}")

    def fit(self, sequences: Iterable[Sequence[int]]) -> NGramLM:
        for sequence in sequences:
            self._check(sequence)
            for context, token in self._events(sequence):
                self.counts[context][token] += 1
                self.totals[context] += 1
        return self

    def prob(self, context: Sequence[int], token: int) -> float:
        key = tuple(context[len(context) - (self.n - 1) :]) if self.n > 1 else ()
        seen = self.counts.get(key)
        count = seen[token] if seen else 0
        return (count + self.alpha) / (self.totals[key] + self.alpha * self.vocab_size)

    def logp_token(self, context: Sequence[int], token: int) -> float:
        return math.log(self.prob(context, token))

    def distribution(self, context: Sequence[int]) -> npt.NDArray[np.float64]:
        """P(· | context) over the whole vocabulary (sums to 1)."""
        key = tuple(context[len(context) - (self.n - 1) :]) if self.n > 1 else ()
        probs = np.full(self.vocab_size, self.alpha, dtype=np.float64)  # (V,)
        for token, count in self.counts.get(key, Counter()).items():
            probs[token] += count
        return probs / (self.totals[key] + self.alpha * self.vocab_size)

    def nll(self, sequences: Iterable[Sequence[int]]) -> tuple[float, int]:
        """Total negative log-likelihood (nats) and the number of predicted tokens."""
        total, count = 0.0, 0
        for sequence in sequences:
            self._check(sequence)
            for context, token in self._events(sequence):
                total -= self.logp_token(context, token)
                count += 1
        return total, count

    def logp_sequence(self, sequence: Sequence[int]) -> float:
        return -self.nll([sequence])[0]

    def perplexity(self, sequences: Iterable[Sequence[int]]) -> float:
        total, count = self.nll(sequences)
        if count == 0:
            raise ValueError("perplexity needs at least one predicted token")
        return math.exp(total / count)
