"""Byte-level BPE: every string is bytes, so any text round-trips exactly and no token is ever unknown.

Ids 0..k-1 are the special tokens, the next 256 ids are the single bytes, and every merge adds one id after
that. The files a tokenizer saves are meant to be read by people and diffed by git: merges in hex, one per line.

Special tokens are control signals (start of a sequence, the separator the tutor's answer follows), so text can
become one only when the caller says so, as in tiktoken: `encode(text)` treats `"<|sep|>"` in a user's sentence
as the seven ordinary characters it is, and framing code that builds training or prompt sequences passes
`allowed_special="all"` (or the set it needs). A user can therefore never forge a control token by typing it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Literal, TypeAlias

from tqdm import tqdm

from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.files import read_text
from minitoken.encoding import encode_word_fast, encode_word_naive
from minitoken.pretokenize import WORD_PATTERN, special_splitter, split_specials, words
from minitoken.training import Pair, Word, train_fast, train_naive
from minitoken.vocab import Vocab

DEFAULT_SPECIALS: tuple[str, ...] = ("<|pad|>", "<|endoftext|>", "<|unk|>", "<|sep|>")
FORMAT_VERSION = 1
MERGES_HEADER = "#minitoken-bpe merges v1: <hex left>\\t<hex right>, in merge order"

#: Which special-token texts `encode` may turn into their ids: "all", or a set of them (default: none).
AllowedSpecial: TypeAlias = AbstractSet[str] | Literal["all"]
NO_SPECIALS: frozenset[str] = frozenset()


class BPETokenizer:
    """Train with `train`, then `encode`/`decode`; `save(dir)` and `BPETokenizer.load(dir)` round-trip exactly."""

    def __init__(
        self, special_tokens: Sequence[str] = DEFAULT_SPECIALS, merges: Sequence[Pair] = ()
    ) -> None:
        self._configure(special_tokens, merges)

    def _configure(self, special_tokens: Sequence[str], merges: Sequence[Pair]) -> None:
        specials = tuple(special_tokens)
        if len(set(specials)) != len(specials) or any(not s for s in specials):
            raise ValueError(f"special tokens must be distinct non-empty strings, got {specials}")
        self.special_tokens = specials
        self.merges: list[Pair] = list(merges)
        self._byte_offset = len(specials)
        self._first_merge_id = self._byte_offset + 256
        table = [s.encode("utf-8") for s in specials] + [bytes([b]) for b in range(256)]
        for left, right in self.merges:
            if (
                not (0 <= left < len(table) and 0 <= right < len(table))
                or left < self._byte_offset
                or right < self._byte_offset
            ):
                raise ValueError(f"merge ({left}, {right}) refers to an id that does not exist yet")
            table.append(table[left] + table[right])
        self._id_to_bytes = table
        self._ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._special_ids = {s: i for i, s in enumerate(specials)}
        self._splitter = special_splitter(specials)
        self._splitters: dict[frozenset[str], re.Pattern[str] | None] = {}
        self._cache: dict[str, tuple[int, ...]] = {}

    # ------------------------------------------------------------------ training

    @property
    def vocab_size(self) -> int:
        return len(self._id_to_bytes)

    def _word_counts(self, corpus: Iterable[str]) -> dict[Word, int]:
        counts: Counter[str] = Counter()
        for text in corpus:
            for piece, special in split_specials(text, self._splitter):
                if not special:
                    counts.update(words(piece))
        offset = self._byte_offset
        return {tuple(b + offset for b in _utf8(word)): n for word, n in counts.items()}

    def train(
        self,
        corpus: Iterable[str],
        vocab_size: int,
        special_tokens: Sequence[str] = DEFAULT_SPECIALS,
        verbose: bool = False,
        *,
        algorithm: Literal["fast", "naive"] = "fast",
    ) -> BPETokenizer:
        """Learn merges until the vocabulary has `vocab_size` ids (or no pair is left to merge)."""
        self._configure(special_tokens, ())
        floor = self._first_merge_id
        if vocab_size < floor:
            raise ValueError(
                f"vocab_size must be at least {floor} ({len(self.special_tokens)} specials + 256 bytes)"
            )
        words_ = self._word_counts(corpus)
        wanted = vocab_size - floor
        trainer = train_fast if algorithm == "fast" else train_naive
        with tqdm(total=wanted, desc="BPE merges", disable=not verbose, unit="merge") as bar:

            def progress(done: int) -> None:
                bar.update(done - bar.n)

            merges = trainer(words_, wanted, floor, progress=progress)
        self._configure(self.special_tokens, merges)
        return self

    # ------------------------------------------------------------------ encode / decode

    def _splitter_for(self, allowed_special: AllowedSpecial) -> re.Pattern[str] | None:
        """The pattern that cuts out the allowed special tokens (None: nothing is special)."""
        if allowed_special == "all":
            return self._splitter
        given: object = (
            allowed_special  # typed callers cannot pass another string; untyped ones can
        )
        if isinstance(given, str):
            raise ValueError(
                f'allowed_special is "all" or a set of special tokens, not the string {allowed_special!r}'
            )
        allowed = frozenset(allowed_special)
        if allowed not in self._splitters:
            unknown = sorted(allowed - set(self.special_tokens))
            if unknown:
                raise ValueError(
                    f"allowed_special names {unknown}, which are not special tokens of this "
                    f"tokenizer ({', '.join(self.special_tokens) or 'none'})"
                )
            self._splitters[allowed] = special_splitter(
                [s for s in self.special_tokens if s in allowed]
            )
        return self._splitters[allowed]

    def _pieces(self, text: str, allowed_special: AllowedSpecial) -> Iterable[tuple[str, bool]]:
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            index = next(i for i, ch in enumerate(text) if 0xD800 <= ord(ch) <= 0xDFFF)
            raise ValueError(
                f"text has a lone surrogate at index {index}; it is not encodable Unicode"
            )
        return split_specials(text, self._splitter_for(allowed_special))

    def encode(self, text: str, *, allowed_special: AllowedSpecial = NO_SPECIALS) -> list[int]:
        """Ids for `text`. Special-token text becomes its single id only where `allowed_special` allows it
        ("all" or a set of special tokens); by default it is ordinary text and goes through BPE like any other,
        so ids 0..k-1 never come out of user input."""
        out: list[int] = []
        cache, offset, ranks, first = (
            self._cache,
            self._byte_offset,
            self._ranks,
            self._first_merge_id,
        )
        for piece, special in self._pieces(text, allowed_special):
            if special:
                out.append(self._special_ids[piece])
                continue
            for word in words(piece):
                ids = cache.get(word)
                if ids is None:
                    ids = tuple(encode_word_fast([b + offset for b in _utf8(word)], ranks, first))
                    cache[word] = ids
                out.extend(ids)
        return out

    def encode_naive(
        self, text: str, *, allowed_special: AllowedSpecial = NO_SPECIALS
    ) -> list[int]:
        """Reference encoder: every merge in training order over every word, no cache (for tests and the lab)."""
        out: list[int] = []
        for piece, special in self._pieces(text, allowed_special):
            if special:
                out.append(self._special_ids[piece])
                continue
            for word in words(piece):
                out.extend(
                    encode_word_naive(
                        [b + self._byte_offset for b in _utf8(word)],
                        self.merges,
                        self._first_merge_id,
                    )
                )
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """Text for `ids`; invalid UTF-8 (possible only for hand-made id lists) becomes U+FFFD."""
        table = self._id_to_bytes
        parts: list[bytes] = []
        for position, token in enumerate(ids):
            if not isinstance(token, int) or isinstance(token, bool) or not 0 <= token < len(table):
                raise ValueError(
                    f"token id {token!r} at position {position} is outside 0..{len(table) - 1}"
                )
            parts.append(table[token])
        return b"".join(parts).decode("utf-8", errors="replace")

    def token_bytes(self, token_id: int) -> bytes:
        return self._id_to_bytes[token_id]

    @property
    def vocab(self) -> Vocab:
        return Vocab(tuple(self._id_to_bytes), self.special_tokens)

    # ------------------------------------------------------------------ files

    def save(self, directory: Path) -> Path:
        """Write `merges.txt`, `vocab.json` and `config.json` into `directory`; returns the directory."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        lines = [MERGES_HEADER] + [
            f"{self._id_to_bytes[a].hex()}\t{self._id_to_bytes[b].hex()}" for a, b in self.merges
        ]
        write_text_atomic(directory / "merges.txt", "\n".join(lines) + "\n")
        self.vocab.save(directory / "vocab.json")
        write_json_atomic(
            directory / "config.json",
            {
                "kind": "byte_bpe",
                "version": FORMAT_VERSION,
                "vocab_size": self.vocab_size,
                "special_tokens": list(self.special_tokens),
                "pretokenizer": WORD_PATTERN,
                "normalization": "none: callers NFC-normalize; encode/decode are lossless",
            },
        )
        return directory

    @classmethod
    def load(cls, directory: Path) -> BPETokenizer:
        """Rebuild a tokenizer from `save`'s files; a damaged or mismatched file is an error naming it."""
        directory = Path(directory)
        config_path, merges_path = directory / "config.json", directory / "merges.txt"
        for path in (config_path, merges_path):
            if not path.is_file():
                raise LynxError(f"tokenizer file not found: {path}")
        try:
            config = json.loads(read_text(config_path))
            if not isinstance(config, dict) or not isinstance(config["special_tokens"], list):
                raise TypeError("expected an object with a special_tokens list")
            specials = [str(s) for s in config["special_tokens"]]
            expected_size = int(config["vocab_size"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise LynxError(f"{config_path}: not a minitoken config ({exc})") from exc
        if config.get("version") != FORMAT_VERSION:
            raise LynxError(
                f"{config_path}: format version {config.get('version')!r}, expected {FORMAT_VERSION}"
            )
        try:
            tokenizer = cls(specials)
        except ValueError as exc:
            raise LynxError(f"{config_path}: {exc}") from None
        lookup = {
            raw: i for i, raw in enumerate(tokenizer._id_to_bytes) if i >= tokenizer._byte_offset
        }
        merges: list[Pair] = []
        lines = read_text(merges_path).splitlines()
        if not lines or lines[0] != MERGES_HEADER:
            raise LynxError(
                f"{merges_path}:1: not a minitoken merges file (its first line must be {MERGES_HEADER!r})"
            )
        for number, line in enumerate(lines[1:], start=2):
            try:
                left_hex, right_hex = line.split("\t")
                left, right = bytes.fromhex(left_hex), bytes.fromhex(right_hex)
                pair = (lookup[left], lookup[right])
            except (ValueError, KeyError):
                raise LynxError(
                    f"{merges_path}:{number}: not a merge of two known tokens: {line[:60]!r}"
                ) from None
            merges.append(pair)
            lookup.setdefault(left + right, tokenizer._first_merge_id + len(merges) - 1)
        tokenizer._configure(specials, merges)
        if tokenizer.vocab_size != expected_size:
            raise LynxError(
                f"{directory}: config says {expected_size} tokens, merges give {tokenizer.vocab_size}"
            )
        return tokenizer


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")
