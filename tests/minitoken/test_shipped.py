from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.artifacts import register, verify
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import data_dir
from minitoken import BPETokenizer
from minitoken.corpus_text import load_corpus_text
from minitoken.shipped import load_shipped


def test_shipped_tokenizer_matches_its_manifest_and_its_recipe() -> None:
    shipped = load_shipped()
    assert shipped.vocab_size == 1024
    fresh = BPETokenizer().train(load_corpus_text(data_dir()), 1024)
    assert fresh.merges == shipped.merges, (
        "retrain with `lynx tokenizer train --vocab-size 1024 --out artifacts/tokenizer --ship`"
    )


def test_tampering_is_detected(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    BPETokenizer().save(root / "tok")
    register(sorted((root / "tok").iterdir()), root=root)
    verify(root / "tok", root=root)
    (root / "tok" / "merges.txt").write_text("#minitoken-bpe merges v1\n61\t62\n")
    with pytest.raises(LynxError, match="does not match its sha256"):
        verify(root / "tok", root=root)
    (root / "tok" / "vocab.json").unlink()
    with pytest.raises(LynxError, match="missing|does not match"):
        verify(root / "tok", root=root)
    with pytest.raises(LynxError, match="no entries"):
        verify(root / "other", root=root)
