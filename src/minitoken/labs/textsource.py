"""Text the phase 11 labs train on: the corpus when it has been built, plus the course's own bilingual docs."""

from __future__ import annotations

import unicodedata

from lynx_cortex.domain import domain
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir, docs_dir
from minitoken.corpus_text import load_corpus_text


def corpus_lines(languages: tuple[str, ...] = ("en", "es")) -> list[str]:
    """The training split of the verb corpus; a clear error if it has not been built."""
    return load_corpus_text(data_dir(), languages=languages, codes=False)


def mixed_text(target_bytes: int) -> tuple[list[str], dict[str, int]]:
    """About `target_bytes` of mixed English/Spanish lines: corpus rows, then the docs' paragraphs, cycled."""
    sources: dict[str, list[str]] = {}
    try:
        sources["corpus"] = corpus_lines()
    except LynxError:
        sources["corpus"] = []
    docs = sorted(docs_dir().glob("**/*.md"))
    sources["docs"] = [
        unicodedata.normalize("NFC", line)
        for path in docs
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    pool = sources["corpus"] + sources["docs"]
    if not pool:
        raise LynxError(
            "no text to train on: build the corpus (`lynx corpus build`) or restore docs/"
        )
    lines: list[str] = []
    size = 0
    while size < target_bytes:
        line = pool[len(lines) % len(pool)]
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return lines, {name: len(found) for name, found in sources.items()}


def verb_lemmas() -> list[str]:
    """The 20 English lemmas of the truth table (`data/conjugation_table.json`), alphabetical."""
    return list(domain().verbs)
