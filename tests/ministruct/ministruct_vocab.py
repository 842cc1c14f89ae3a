"""Vocabularies for the phase-30 mask tests: a synthetic one and the shipped BPE one."""

from __future__ import annotations

import random
from functools import cache

from minimodel.data import load_tokenizer
from ministruct.mask import Vocabulary

#: Bytes the random multi-byte tokens are made of: ASCII that regexes use, and UTF-8 lead/continuation bytes.
_PIECES = [
    b"a",
    b"b",
    b"0",
    b" ",
    b".",
    b"-",
    b"\n",
    b'"',
    b"\xc3",
    b"\xa9",
    b"\xe2",
    b"\x82",
    b"\xac",
]


@cache
def synthetic_vocabulary(n_multi: int = 400, seed: int = 0) -> Vocabulary:
    """Id 0 is the stop token; then every single byte; then random distinct 2-6 byte strings."""
    rng = random.Random(seed)
    multi: set[bytes] = set()
    while len(multi) < n_multi:
        multi.add(b"".join(rng.choice(_PIECES) for _ in range(rng.randint(2, 6))))
    tokens: list[bytes | None] = [None, *(bytes([b]) for b in range(256)), *sorted(multi)]
    return Vocabulary(tuple(tokens), stop_id=0)


@cache
def bpe_vocabulary() -> Vocabulary:
    return Vocabulary.from_tokenizer(load_tokenizer())
