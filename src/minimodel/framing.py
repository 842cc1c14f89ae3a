"""How a corpus row becomes one training sequence: input → correction → Spanish.

Every row is framed as `<|endoftext|>{text}<|sep|>{target}<|sep|>{spanish}<|endoftext|>`, where `target` is
the row's `correct_form` when the English is mis-conjugated and the English itself when it is correct. One
sequence therefore teaches both jobs of the tutor (fix the verb, then translate it), and at inference the same
model is prompted with `<|endoftext|>{sentence}<|sep|>` and asked to continue. Every model of phases 13-18
(n-gram, CBOW, MiniGPT) reads the corpus through this one function, so their perplexities are comparable.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lynx_cortex.paths import data_dir
from minicorpus.rows import read_jsonl
from minitoken.bpe import BPETokenizer
from minitoken.shipped import load_shipped

BOS = "<|endoftext|>"
SEP = "<|sep|>"
SPLITS = ("train", "val", "test")


def frame_row(row: Mapping[str, Any]) -> str:
    """The training text of one corpus row (see the module docstring)."""
    for key in ("text", "spanish", "label"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise ValueError(
                f"corpus row {row.get('id', '?')} needs a non-empty string {key!r}, got {row.get(key)!r}"
            )
    if row["label"] == "correct":
        target = row["text"]
    else:
        target = row.get("correct_form")
        if not isinstance(target, str) or not target:
            raise ValueError(
                f"mis-conjugated corpus row {row.get('id', '?')} has no correct_form to train on"
            )
    return f"{BOS}{row['text']}{SEP}{target}{SEP}{row['spanish']}{BOS}"


def prompt(sentence: str) -> str:
    """What the model continues at inference: the input sentence and the separator."""
    return f"{BOS}{sentence}{SEP}"


def correction_of(continuation: str) -> str | None:
    """The correction in a continuation of `prompt(...)`: the text before the next `<|sep|>` (None if the
    model never closed it within its token budget, which graders count as wrong)."""
    head, sep, _ = continuation.partition(SEP)
    return head if sep else None


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


__all__ = [
    "BOS",
    "SEP",
    "SPLITS",
    "correction_of",
    "encode_split",
    "frame_row",
    "load_tokenizer",
    "prompt",
]
