"""How a corpus row becomes one training sequence: input → correction → error code → Spanish.

Every row, of the v1 form corpus (`he work`) and of the v1.1 tutor set ("Yesterday she goed home."), is
framed the same way::

    <|endoftext|>{text}<|sep|>{correction}<|sep|>{error_code}<|sep|>{spanish}<|endoftext|>

`correction` is the corrected English (the text itself when it is already right), `error_code` is the
row's mis-conjugation type or `none`, and `spanish` is the translation of the corrected sentence. One
sequence therefore teaches the tutor's three jobs in the order a teacher does them — fix, name, translate —
and at inference the model is prompted with `<|endoftext|>{sentence}<|sep|>` and continues. The prompt is
the *source* side and everything after it the *target* side: training puts its loss on the target side only
(`split_row`), because predicting a learner's mistakes is not the model's job.

The framing is text, so it lives with the corpus; `BOS` and `SEP` are the special tokens the tokenizer
reserves (`minitoken.bpe.DEFAULT_SPECIALS`, checked by a test, since neither package imports the other).
Turning the framed text into token ids is `minimodel.data`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minicorpus.split import SPLIT_NAMES

BOS = "<|endoftext|>"
SEP = "<|sep|>"
NO_ERROR = "none"
SPLITS = SPLIT_NAMES


def _text(row: Mapping[str, Any], *keys: str) -> str | None:
    """The first non-empty string among `keys` (v1 and v1.1 rows name the same facts differently)."""
    for key in keys:
        value = row.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def split_row(row: Mapping[str, Any]) -> tuple[str, str]:
    """(source, target) of one row: the prompt the model reads and the text it must produce."""
    text = _text(row, "text")
    spanish = _text(row, "spanish")
    if text is None or spanish is None:
        missing = "text" if text is None else "spanish"
        raise ValueError(
            f"corpus row {row.get('id', '?')} needs a non-empty string {missing!r}, got {row.get(missing)!r}"
        )
    code = _text(row, "error_type", "mis_conjugation_type")
    if code is None:
        if row.get("label", "correct") != "correct":
            raise ValueError(
                f"corpus row {row.get('id', '?')} is labelled {row.get('label')!r} but names no error type"
            )
        correction, code = text, NO_ERROR
    else:
        found = _text(row, "correct_text", "correct_form")
        if found is None:
            raise ValueError(
                f"mis-conjugated corpus row {row.get('id', '?')} has no correction to train on"
            )
        correction = found
    return prompt(text), f"{correction}{SEP}{code}{SEP}{spanish}{BOS}"


def frame_row(row: Mapping[str, Any]) -> str:
    """The training text of one corpus row (see the module docstring)."""
    source, target = split_row(row)
    return source + target


def prompt(sentence: str) -> str:
    """What the model continues at inference: the input sentence and the separator."""
    return f"{BOS}{sentence}{SEP}"


@dataclass(frozen=True)
class Answer:
    """A continuation of `prompt(...)` read back into its fields; a field the model never closed is None."""

    correction: str | None
    error_code: str | None
    spanish: str | None

    @property
    def complete(self) -> bool:
        return None not in (self.correction, self.error_code, self.spanish)


def parse_answer(continuation: str) -> Answer:
    """Split a continuation at its separators. A field counts only if its closing marker was produced
    (`<|sep|>` for the first two, `<|endoftext|>` for the Spanish): a cut-off answer is not an answer."""
    correction, sep1, rest = continuation.partition(SEP)
    code, sep2, rest = rest.partition(SEP)
    spanish, end, _ = rest.partition(BOS)
    return Answer(
        correction if sep1 else None,
        code if sep1 and sep2 else None,
        spanish if sep1 and sep2 and end else None,
    )


def reference_correction(row: Mapping[str, Any]) -> str:
    """The correction a corpus row expects (the sentence itself when the row is correct): what a grader
    compares the model's `correction_of(...)` with."""
    correction = parse_answer(split_row(row)[1]).correction
    if correction is None:  # cannot happen: split_row always closes the correction with <|sep|>
        raise ValueError(f"corpus row {row.get('id', '?')} frames no correction")
    return correction


def correction_of(continuation: str) -> str | None:
    """The correction in a continuation of `prompt(...)`: the text before the next `<|sep|>` (None if the
    model never closed it within its token budget, which graders count as wrong)."""
    return parse_answer(continuation).correction


__all__ = [
    "BOS",
    "NO_ERROR",
    "SEP",
    "SPLITS",
    "Answer",
    "correction_of",
    "frame_row",
    "parse_answer",
    "prompt",
    "reference_correction",
    "split_row",
]
