"""Measurements shared by the phase 11 labs and break: tokens per word by language, token usage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from minitoken.bpe import BPETokenizer


def tokens_per_word(tokenizer: BPETokenizer, lines: Sequence[str]) -> float:
    words = sum(len(line.split()) for line in lines)
    tokens = sum(len(tokenizer.encode(line)) for line in lines)
    return tokens / words if words else 0.0


def usage(tokenizer: BPETokenizer, lines: Sequence[str]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for line in lines:
        counts.update(tokenizer.encode(line))
    return counts
