"""Splitting text before BPE: special tokens first, then words.

Special tokens (`<|endoftext|>` …) are cut out whole so no merge can ever swallow part of one. The remaining text
is split into words, GPT-2 style: a word keeps its leading space (" worked"), digits, punctuation runs and
whitespace runs are their own pieces. Merges therefore never cross a word boundary, which keeps the learned
units morphological ("ed", " work") and lets the encoder cache each distinct word once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

#: Contractions, letter runs, digit runs, runs of anything else (punctuation, symbols, `_`, lone combining marks),
#: then whitespace (trailing whitespace stays apart from the next word so " work" is one piece).
#: `[^\W\d_]` is "a Unicode letter" in the stdlib `re`; together the branches match every character.
WORD_PATTERN = r"""'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
_WORDS = re.compile(WORD_PATTERN)


def words(text: str) -> list[str]:
    """The word pieces of `text`; joining them gives `text` back exactly."""
    return _WORDS.findall(text)


def special_splitter(specials: Sequence[str]) -> re.Pattern[str] | None:
    """A pattern matching any special token, longest first so no token hides inside another."""
    if not specials:
        return None
    ordered = sorted(specials, key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(s) for s in ordered) + ")")


def split_specials(text: str, splitter: re.Pattern[str] | None) -> Iterator[tuple[str, bool]]:
    """Yield `(piece, is_special)` in order; empty pieces are skipped."""
    if splitter is None:
        if text:
            yield text, False
        return
    for index, piece in enumerate(splitter.split(text)):
        if piece:
            yield piece, index % 2 == 1
