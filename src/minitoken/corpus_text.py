"""Training text for the tokenizer, read from the corpus files on disk (not from `minicorpus` code).

The tokenizer depends on no other package of ours: it reads the JSONL rows `lynx corpus build` writes, taking
the English side (`text`) and/or the Spanish side (`spanish`), NFC-normalized as the corpus is. A corpus
folder contributes its v1 form rows (`processed/<split>.jsonl`) and, when built, the same split of the v1.1
tutor sentences (`tutor/frames/<split>-NN.jsonl`): the tutor's model reads sentences, so its tokenizer must
have seen them. Only the training split is read by default, so no held-out sentence shapes the merges.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from lynx_cortex.errors import LynxError
from lynx_cortex.jsonl import iter_jsonl

LANGUAGE_FIELDS = {"en": "text", "es": "spanish"}
#: Where v1 and v1.1 rows name their error type; the model writes these codes, so they are training text too.
CODE_FIELDS = ("mis_conjugation_type", "error_type")


def corpus_file(corpus: Path, split: str = "train") -> Path:
    """`corpus` may be a JSONL file or a corpus folder holding `processed/<split>.jsonl`."""
    corpus = Path(corpus)
    path = corpus if corpus.suffix == ".jsonl" else corpus / "processed" / f"{split}.jsonl"
    if not path.is_file():
        raise LynxError(f"corpus file not found: {path} (build it with `lynx corpus build`)")
    return path


def corpus_files(corpus: Path, split: str = "train") -> list[Path]:
    """The v1 file of `corpus_file`, then, for a folder, the tutor shards of the same split in name order."""
    first = corpus_file(corpus, split)
    if Path(corpus).suffix == ".jsonl":
        return [first]
    return [first, *sorted((Path(corpus) / "tutor" / "frames").glob(f"{split}-*.jsonl"))]


def load_corpus_text(
    corpus: Path,
    *,
    languages: Sequence[str] = ("en", "es"),
    split: str = "train",
    codes: bool = True,
) -> list[str]:
    """One string per row and language, in file order, then the row's error code if it has one (`codes`)."""
    unknown = [lang for lang in languages if lang not in LANGUAGE_FIELDS]
    if unknown or not languages:
        raise LynxError(f"languages must be drawn from en, es; got {list(languages)}")
    lines: list[str] = []
    for path in corpus_files(corpus, split):
        for number, row in iter_jsonl(path):
            try:
                texts = [row[LANGUAGE_FIELDS[lang]] for lang in languages]
            except KeyError as exc:
                raise LynxError(
                    f"{path}:{number}: not a corpus row with text/spanish fields (no {exc})"
                ) from exc
            lines.extend(unicodedata.normalize("NFC", str(text)) for text in texts)
            if codes:
                lines.extend(str(row[f]) for f in CODE_FIELDS if isinstance(row.get(f), str))
    return lines


def words_per_language(corpus: Path, split: str = "train") -> dict[str, list[str]]:
    return {
        lang: load_corpus_text(corpus, languages=(lang,), split=split, codes=False)
        for lang in LANGUAGE_FIELDS
    }
