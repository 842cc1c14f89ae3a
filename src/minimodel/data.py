"""The corpus as token ids: every framed row (`minicorpus.framing`) encoded with the shipped tokenizer.

This is where the two independent leaves meet: `minicorpus` knows rows and their text framing, `minitoken`
knows bytes and merges, and neither imports the other. Every model of phases 13-18 (n-gram, CBOW, MiniGPT)
reads the corpus through `encode_split`, so their perplexities are comparable.
"""

from __future__ import annotations

from pathlib import Path

from lynx_cortex.paths import data_dir
from minicorpus.framing import SPLITS, frame_row
from minicorpus.rows import read_jsonl
from minitoken.bpe import BPETokenizer
from minitoken.shipped import load_shipped


def encode_split(
    tokenizer: BPETokenizer, name: str, *, data: Path | None = None
) -> list[list[int]]:
    """Token ids of every framed row of `<data>/processed/<name>.jsonl` (default: the project's `data/`)."""
    if name not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
    folder = (data if data is not None else data_dir()) / "processed"
    return [
        tokenizer.encode(frame_row(row), allowed_special="all")
        for row in read_jsonl(folder / f"{name}.jsonl")
    ]


def load_tokenizer(root: Path | None = None) -> BPETokenizer:
    """The shipped tokenizer of the project at `root` (default: this one), hash-checked before loading."""
    return load_shipped(root / "artifacts" if root is not None else None)


__all__ = ["encode_split", "load_tokenizer"]
