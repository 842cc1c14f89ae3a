"""How a corpus row becomes one training sequence: input → correction → Spanish.

Every row is framed as `<|endoftext|>{text}<|sep|>{target}<|sep|>{spanish}<|endoftext|>`, where `target` is
the row's `correct_form` when the English is mis-conjugated and the English itself when it is correct. One
sequence therefore teaches both jobs of the tutor (fix the verb, then translate it), and at inference the same
model is prompted with `<|endoftext|>{sentence}<|sep|>` and asked to continue.

The framing is text, so it lives with the corpus; `BOS` and `SEP` are the special tokens the tokenizer reserves
(`minitoken.bpe.DEFAULT_SPECIALS`, checked by a test, since neither package imports the other). Turning the
framed text into token ids is `minimodel.data`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minicorpus.split import SPLIT_NAMES

BOS = "<|endoftext|>"
SEP = "<|sep|>"
SPLITS = SPLIT_NAMES


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


__all__ = ["BOS", "SEP", "SPLITS", "correction_of", "frame_row", "prompt"]
