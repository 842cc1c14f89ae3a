"""The corpus as token ids: every framed row (`minicorpus.framing`) encoded with the shipped tokenizer.

This is where the two independent leaves meet: `minicorpus` knows rows and their text framing, `minitoken`
knows bytes and merges, and neither imports the other. Every model of phases 13-18 (n-gram, CBOW, MiniGPT)
reads the corpus through `encode_split`, so their perplexities are comparable; the tutor's model reads the
v1.1 set through `encode_rows`, which also keeps each row's source length so training can put its loss on
the target side only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lynx_cortex.paths import data_dir
from minicorpus.framing import SPLITS, split_row
from minicorpus.rows import read_jsonl
from minitoken.bpe import BPETokenizer
from minitoken.shipped import load_shipped


@dataclass(frozen=True)
class EncodedRows:
    """Token ids of framed rows and, per row, how many of its leading ids are the source (the prompt)."""

    ids: list[list[int]]
    prompt_lens: list[int]

    def __len__(self) -> int:
        return len(self.ids)


def encode_rows(tokenizer: BPETokenizer, rows: Iterable[Mapping[str, Any]]) -> EncodedRows:
    """Frame and encode `rows`; source and target are encoded apart, which gives the same ids as encoding
    the whole framed text because the source ends in a special token (specials always split)."""
    ids: list[list[int]] = []
    prompt_lens: list[int] = []
    for row in rows:
        source, target = split_row(row)
        head = tokenizer.encode(source, allowed_special="all")
        ids.append(head + tokenizer.encode(target, allowed_special="all"))
        prompt_lens.append(len(head))
    return EncodedRows(ids, prompt_lens)


def encode_split(
    tokenizer: BPETokenizer, name: str, *, data: Path | None = None
) -> list[list[int]]:
    """Token ids of every framed row of `<data>/processed/<name>.jsonl` (default: the project's `data/`)."""
    if name not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
    folder = (data if data is not None else data_dir()) / "processed"
    return encode_rows(tokenizer, read_jsonl(folder / f"{name}.jsonl")).ids


def load_tokenizer(root: Path | None = None) -> BPETokenizer:
    """The shipped tokenizer of the project at `root` (default: this one), hash-checked before loading."""
    return load_shipped(root / "artifacts" if root is not None else None)


__all__ = ["EncodedRows", "encode_rows", "encode_split", "load_tokenizer"]
