"""Cut rules into chunks that fit a BPE-token budget, with overlap, on sentence boundaries.

A chunk is what the retriever ranks and the reader cites, so it must (a) fit the reader's window next to the
question and (b) stay readable: a chunk never ends mid-sentence unless one sentence alone exceeds the budget,
and then it is cut on whitespace. Consecutive chunks of one rule share up to `overlap` tokens of trailing
sentences, so a fact that straddles a boundary is whole in at least one chunk. The rule's title is prefixed to
every chunk's indexed text (lexical anchoring: a chunk from the middle of a rule still says what it is about),
but it is not counted in the budget, which measures the body the reader quotes.

Chunk ids are `<rule id>.<lang>#<n>`, so the rule id (the relevance label) is recoverable from any chunk id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from minirag.kb import Rule

SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")
DEFAULT_BUDGET = 256  # BPE tokens of body per chunk (a KB rule is 250-400: one or two chunks)
DEFAULT_OVERLAP = 32

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # "<rule id>.<lang>#<n>"
    rule_id: str
    lang: str
    title: str
    text: str  # the body slice the reader may quote
    verbs: tuple[str, ...] = ()
    tenses: tuple[str, ...] = ()

    @property
    def indexed_text(self) -> str:
        """What the retrievers see: the title anchors every chunk of a rule."""
        return f"{self.title}\n{self.text}"


def rule_id_of(chunk_id: str) -> str:
    """`irregular-eat.en#0` → `irregular-eat` (the label a relevance judgement uses)."""
    return chunk_id.split("#", 1)[0].rsplit(".", 1)[0]


BLOCK_RE = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)")  # blank lines, list items


def sentences(text: str) -> list[str]:
    """Markdown body → sentences: paragraphs and list items are boundaries, and so is terminal punctuation
    inside them; a line break inside a paragraph is a space."""
    out: list[str] = []
    for block in BLOCK_RE.split(text):
        flat = " ".join(block.split())
        out.extend(s for s in SENTENCE_RE.split(flat) if s)
    return out


def _split_long(sentence: str, budget: int, count: CountTokens) -> list[str]:
    """A sentence over the budget, cut on whitespace into pieces that each fit (a word over budget stands alone)."""
    pieces: list[str] = []
    current: list[str] = []
    for word in sentence.split():
        trial = " ".join([*current, word])
        if current and count(trial) > budget:
            pieces.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


def pack(units: Sequence[str], budget: int, overlap: int, count: CountTokens) -> list[str]:
    """Greedy packing of sentence units into windows of ≤ `budget` tokens; each new window starts with the
    trailing units of the previous one that fit in `overlap` tokens (never the whole previous window, so the
    packing always advances)."""
    if budget < 1 or overlap < 0 or overlap >= budget:
        raise ValueError(f"need budget >= 1 and 0 <= overlap < budget, got {budget}, {overlap}")
    flat: list[str] = []
    for unit in units:
        flat.extend(_split_long(unit, budget, count) if count(unit) > budget else [unit])
    windows: list[list[str]] = []
    current: list[str] = []
    for unit in flat:
        if current and count(" ".join([*current, unit])) > budget:
            windows.append(current)
            carried: list[str] = []
            for prev in reversed(current[1:]):  # a proper suffix: the first unit is never carried
                trial = [prev, *carried]
                if count(" ".join(trial)) > overlap or count(" ".join([*trial, unit])) > budget:
                    break
                carried = trial
            current = carried
        current.append(unit)
    if current:
        windows.append(current)
    return [" ".join(w) for w in windows]


def chunk_rule(
    rule: Rule,
    count: CountTokens,
    *,
    budget: int = DEFAULT_BUDGET,
    overlap: int = DEFAULT_OVERLAP,
) -> list[Chunk]:
    """One rule → its chunks, numbered from 0 in reading order."""
    texts = pack(sentences(rule.body), budget, overlap, count)
    return [
        Chunk(
            chunk_id=f"{rule.key}#{n}",
            rule_id=rule.id,
            lang=rule.lang,
            title=rule.title,
            text=text,
            verbs=rule.verbs,
            tenses=rule.tenses,
        )
        for n, text in enumerate(texts)
    ]


def chunk_rules(
    rules: Sequence[Rule],
    count: CountTokens,
    *,
    budget: int = DEFAULT_BUDGET,
    overlap: int = DEFAULT_OVERLAP,
) -> list[Chunk]:
    return [c for r in rules for c in chunk_rule(r, count, budget=budget, overlap=overlap)]


def bpe_counter() -> CountTokens:
    """Token counts under the shipped BPE tokenizer (the reader's tokenizer, so budgets mean reader tokens)."""
    from minitoken.shipped import load_shipped

    tokenizer = load_shipped()
    return lambda text: len(tokenizer.encode(text))


__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_OVERLAP",
    "Chunk",
    "CountTokens",
    "bpe_counter",
    "chunk_rule",
    "chunk_rules",
    "pack",
    "rule_id_of",
    "sentences",
]
