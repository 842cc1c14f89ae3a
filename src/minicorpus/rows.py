"""Corpus rows: the JSONL record, its fingerprint, and reading/writing files byte-identically.

A row is a plain `dict` (it is exactly what one JSONL line decodes to), so the validator checks real file
contents rather than objects that could never be malformed. Serialisation is fixed (sorted keys, no ASCII
escaping, `\\n` line ends) because the corpus's promise is that the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from lynx_cortex import jsonl
from lynx_cortex.atomic import write_text_atomic
from lynx_cortex.errors import LynxError

Row = dict[str, Any]

CORPUS_NAME: Final = "lynx-cortex-verbgrammar-v1"
CORPUS_VERSION: Final = "1.0.0"
ID_WIDTH: Final = 4

#: The row fields in the order the spec documents them.
ROW_FIELDS: Final[tuple[str, ...]] = (
    "id",
    "text",
    "spanish",
    "verb_lemma",
    "spanish_lemma",
    "tense",
    "person",
    "english_regularity",
    "spanish_regularity",
    "label",
    "mis_conjugation_type",
    "correct_form",
    "seed",
    "fingerprint",
)


def normalize(text: str) -> str:
    """The dedup key's text: NFC, trimmed, lower-case except the pronoun `I` (so `I work` ≠ `i work`)."""
    words = unicodedata.normalize("NFC", text).strip().split(" ")
    return " ".join(word if word == "I" else word.lower() for word in words)


def fingerprint(text: str) -> str:
    """sha256 of the normalised text: equal fingerprints mean the model would see the same string."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def format_id(index: int) -> str:
    return f"{index:0{ID_WIDTH}d}"


def row_seed(seed: int, row_id: str) -> int:
    """The per-row seed the seed's examples show (id 0042 under seed 42 → 42042); informational only."""
    return seed * 1000 + int(row_id)


def dumps_jsonl(rows: Iterable[Row]) -> str:
    return "".join(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)


def write_jsonl(path: Path, rows: Iterable[Row]) -> Path:
    return write_text_atomic(path, dumps_jsonl(rows))


def read_jsonl(path: Path) -> list[Row]:
    """Rows of a corpus JSONL file: the core reader (`lynx_cortex.jsonl`), strict about blank lines because the
    corpus is written byte-exactly, plus what to run when the file is missing."""
    if not path.is_file():
        raise LynxError(f"corpus file not found: {path} (run `lynx corpus build` first?)")
    return jsonl.read_jsonl(path, blank_lines="error")


def row_label(row: Row, index: int) -> str:
    """How reports name a row: its id when it has a usable one, else its position."""
    value = row.get("id")
    return value if isinstance(value, str) and value else f"#{index + 1}"
