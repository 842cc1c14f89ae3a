"""Training text for the tokenizer, read from the corpus files on disk (not from `minicorpus` code).

The tokenizer depends on no other package of ours: it reads the JSONL rows `lynx corpus build` writes, taking
the English side (`text`) and/or the Spanish side (`spanish`), NFC-normalized as the corpus is.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from lynx_cortex.errors import LynxError
from lynx_cortex.jsonl import iter_jsonl

LANGUAGE_FIELDS = {"en": "text", "es": "spanish"}


def corpus_file(corpus: Path, split: str = "train") -> Path:
    """`corpus` may be a JSONL file or a corpus folder holding `processed/<split>.jsonl`."""
    corpus = Path(corpus)
    path = corpus if corpus.suffix == ".jsonl" else corpus / "processed" / f"{split}.jsonl"
    if not path.is_file():
        raise LynxError(f"corpus file not found: {path} (build it with `lynx corpus build`)")
    return path


def load_corpus_text(
    corpus: Path, *, languages: Sequence[str] = ("en", "es"), split: str = "train"
) -> list[str]:
    """One string per row and language, in file order."""
    unknown = [lang for lang in languages if lang not in LANGUAGE_FIELDS]
    if unknown or not languages:
        raise LynxError(f"languages must be drawn from en, es; got {list(languages)}")
    path = corpus_file(corpus, split)
    lines: list[str] = []
    for number, row in iter_jsonl(path):
        try:
            texts = [row[LANGUAGE_FIELDS[lang]] for lang in languages]
        except KeyError as exc:
            raise LynxError(
                f"{path}:{number}: not a corpus row with text/spanish fields (no {exc})"
            ) from exc
        lines.extend(unicodedata.normalize("NFC", str(text)) for text in texts)
    return lines


def words_per_language(corpus: Path, split: str = "train") -> dict[str, list[str]]:
    return {
        lang: load_corpus_text(corpus, languages=(lang,), split=split) for lang in LANGUAGE_FIELDS
    }
