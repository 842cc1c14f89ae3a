"""The n-gram perplexity baseline every neural model of the course has to beat.

`ngram_baseline(train, val)` fits add-α n-gram models for every (n, α) of a small grid on the training
sequences and keeps the pair with the lowest validation perplexity. On the framed corpus (`minicorpus.framing`)
it takes about a second, so training code calls it inline instead of trusting a number copied from an old run:
`corpus_baseline()` encodes the shipped splits with the shipped tokenizer and returns the same result the lab
`14-ngram-baseline` records. `write_baseline`/`read_baseline` store a result as JSON when a file is wanted (the
lab writes `ngram_baseline.json` into its run folder).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lynx_cortex.atomic import write_json_atomic
from minimodel.data import encode_split, load_tokenizer
from minimodel.ngram import NGramLM

ORDERS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
ALPHAS: tuple[float, ...] = (0.001, 0.01, 0.03, 0.1, 0.3, 1.0)
HEADLINE_ALPHA = 0.01


@dataclass(frozen=True)
class BaselineResult:
    """The best (n, α) by validation perplexity, and every (n, α) → val perplexity tried to find it."""

    n: int
    alpha: float
    val_perplexity: float
    train_perplexity: float
    vocab_size: int
    grid: dict[str, float] = field(default_factory=dict)  # "n=3,alpha=0.01" -> val perplexity

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BaselineResult:
        try:
            return cls(
                n=int(data["n"]),
                alpha=float(data["alpha"]),
                val_perplexity=float(data["val_perplexity"]),
                train_perplexity=float(data["train_perplexity"]),
                vocab_size=int(data["vocab_size"]),
                grid={str(k): float(v) for k, v in dict(data.get("grid", {})).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an n-gram baseline record: {exc}") from None


def grid_key(n: int, alpha: float) -> str:
    return f"n={n},alpha={alpha:g}"


def ngram_baseline(
    train: Sequence[Sequence[int]],
    val: Sequence[Sequence[int]],
    *,
    vocab_size: int,
    orders: Sequence[int] = ORDERS,
    alphas: Sequence[float] = ALPHAS,
) -> BaselineResult:
    """Fit every (n, α), keep the lowest validation perplexity (ties: smaller n, then smaller α)."""
    if not train or not val:
        raise ValueError("ngram_baseline needs non-empty train and val sequences")
    best: tuple[float, int, float, float] | None = None
    grid: dict[str, float] = {}
    for n in orders:
        for alpha in alphas:
            model = NGramLM(n, vocab_size, alpha).fit(train)
            val_ppl = model.perplexity(val)
            grid[grid_key(n, alpha)] = val_ppl
            if best is None or val_ppl < best[0]:
                best = (val_ppl, n, alpha, model.perplexity(train))
    if best is None:
        raise ValueError("ngram_baseline needs at least one order and one alpha")
    val_ppl, n, alpha, train_ppl = best
    if not math.isfinite(val_ppl):
        raise ValueError("every n-gram model gave an infinite validation perplexity")
    return BaselineResult(n, alpha, val_ppl, train_ppl, vocab_size, grid)


def corpus_baseline(root: Path | None = None) -> BaselineResult:
    """The baseline of the shipped corpus and tokenizer (framed as in `minicorpus.framing`)."""
    tokenizer = load_tokenizer(root)
    data = None if root is None else root / "data"
    train = encode_split(tokenizer, "train", data=data)
    val = encode_split(tokenizer, "val", data=data)
    return ngram_baseline(train, val, vocab_size=tokenizer.vocab_size)


def write_baseline(result: BaselineResult, path: Path) -> Path:
    write_json_atomic(path, result.to_json())
    return path


def read_baseline(path: Path) -> BaselineResult:
    return BaselineResult.from_json(json.loads(path.read_text(encoding="utf-8")))


__all__ = [
    "ALPHAS",
    "HEADLINE_ALPHA",
    "ORDERS",
    "BaselineResult",
    "corpus_baseline",
    "grid_key",
    "ngram_baseline",
    "read_baseline",
    "write_baseline",
]
