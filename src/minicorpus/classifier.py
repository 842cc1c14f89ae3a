"""A small tense classifier (softmax regression in NumPy) used to show what label noise does.

It reads a row's English text as word and word-ending features and predicts its tense surface. It exists for
phase 12's break: trained on correct labels it transfers to (verb, tense) keys it never saw, because `will`,
`going`, `-ed` and a missing subject are tense cues shared across verbs; trained on labels shuffled against
the prompts it can only memorise, and on held-out keys it falls to chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from minicorpus.verb_table import TENSES

SUFFIX_LENGTHS = (1, 2, 3)


def features(text: str) -> list[str]:
    """Words, their endings, the word count and the last word's ending: cues that generalise across verbs."""
    words = text.split()
    feats = [f"w={word.lower()}" for word in words]
    feats += [
        f"suf{n}={word[-n:].lower()}" for word in words for n in SUFFIX_LENGTHS if len(word) > n
    ]
    feats.append(f"len={min(len(words), 6)}")
    feats.append(f"last={words[-1][-2:].lower()}" if words else "last=")
    return feats


@dataclass
class TenseClassifier:
    """Multinomial logistic regression over sparse binary features (dense matrix; the corpus is tiny)."""

    vocabulary: dict[str, int]
    weights: np.ndarray  # (F, K)
    bias: np.ndarray  # (K,)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        x = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float64)  # (N, F)
        for i, text in enumerate(texts):
            for feat in features(text):
                j = self.vocabulary.get(feat)
                if j is not None:
                    x[i, j] = 1.0
        return x

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        logits = self.matrix(texts) @ self.weights + self.bias  # (N, K)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return probs

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [TENSES[int(i)] for i in self.probabilities(texts).argmax(axis=1)]


def _labels(tenses: Sequence[str]) -> np.ndarray:
    unknown = [t for t in tenses if t not in TENSES]
    if unknown:
        raise ValueError(f"unknown tense label {unknown[0]!r}")
    return np.array([TENSES.index(t) for t in tenses], dtype=np.int64)  # (N,)


def train_classifier(
    texts: Sequence[str],
    tenses: Sequence[str],
    *,
    steps: int = 400,
    lr: float = 0.5,
    l2: float = 1e-3,
) -> TenseClassifier:
    """Full-batch gradient descent on mean cross-entropy + L2; deterministic (zero init)."""
    if len(texts) != len(tenses) or not texts:
        raise ValueError(
            f"need as many labels as texts (got {len(texts)} texts, {len(tenses)} labels)"
        )
    vocab = sorted({feat for text in texts for feat in features(text)})
    model = TenseClassifier(
        {feat: i for i, feat in enumerate(vocab)},
        np.zeros((len(vocab), len(TENSES))),
        np.zeros(len(TENSES)),
    )
    x = model.matrix(texts)  # (N, F)
    y = np.eye(len(TENSES))[_labels(tenses)]  # (N, K)
    n = float(len(texts))
    for _ in range(steps):
        logits = x @ model.weights + model.bias  # (N, K)
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        grad = (probs - y) / n  # (N, K)
        model.weights = model.weights - lr * (x.T @ grad + l2 * model.weights)  # (F, K)
        model.bias = model.bias - lr * grad.sum(axis=0)  # (K,)
    return model


def accuracy(model: TenseClassifier, texts: Sequence[str], tenses: Sequence[str]) -> float:
    if not texts:
        raise ValueError("cannot score an empty set")
    predicted = model.predict(texts)
    return sum(p == t for p, t in zip(predicted, tenses, strict=True)) / len(texts)


def mean_loss(model: TenseClassifier, texts: Sequence[str], tenses: Sequence[str]) -> float:
    """Mean cross-entropy in nats; log(6) ≈ 1.79 is the loss of a uniform guess over the 6 tenses."""
    probs = model.probabilities(texts)
    picked = probs[np.arange(len(texts)), _labels(tenses)]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))


UNIFORM_LOSS = math.log(len(TENSES))
