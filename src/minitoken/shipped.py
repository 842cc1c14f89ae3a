"""The tokenizer the project ships in `artifacts/tokenizer/`, loaded only after its sha256s check out."""

from __future__ import annotations

from pathlib import Path

from lynx_cortex.artifacts import artifacts_dir, verify
from minitoken.bpe import BPETokenizer

SHIPPED_DIR = "tokenizer"


def load_shipped(root: Path | None = None) -> BPETokenizer:
    """`<root>/tokenizer` (default `artifacts/`), verified against `<root>/MANIFEST.json` first."""
    base = root if root is not None else artifacts_dir()
    directory = base / SHIPPED_DIR
    verify(directory, root=base)
    return BPETokenizer.load(directory)
