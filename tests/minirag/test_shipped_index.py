"""The index committed in artifacts/rag/ is the one `lynx rag index` builds from the committed KB."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from lynx_cortex.errors import LynxError
from minirag import build
from minirag.build import default_index_dir, kb_fingerprint, load_retriever
from minirag.kb import kb_dir
from minirag.pipeline import RAGPipeline

SHIPPED = default_index_dir()


def test_the_shipped_index_was_built_from_the_current_kb() -> None:
    meta = json.loads((SHIPPED / "index.json").read_text())
    assert meta["kb_sha256"] == kb_fingerprint(kb_dir()), "KB changed: run `uv run lynx rag index`"
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    assert set(manifest["artifacts"]) == {
        "biencoder.json",
        "biencoder.safetensors",
        "index.json",
        "index.safetensors",
    }
    assert all(p.stat().st_size < 5_000_000 for p in SHIPPED.iterdir())


def test_the_shipped_index_answers_with_a_retrieved_citation() -> None:
    result = RAGPipeline(load_retriever()).ask("what is the past participle of eat?")
    assert re.search(r"\beaten\b", result.answer.text)
    assert result.cited and set(result.cited) <= {h.chunk_id for h in result.hits}


def test_a_stale_index_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "kb_fingerprint", lambda folder: "0" * 64)
    with pytest.raises(LynxError, match="KB changed"):
        load_retriever()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("index.json", b"{not json"),
        ("index.safetensors", b"\x00" * 40),
        ("biencoder.safetensors", b"junk"),
        ("biencoder.json", "é".encode("latin-1")),
    ],
)
def test_a_damaged_index_is_a_one_line_error(tmp_path: Path, name: str, content: bytes) -> None:
    target = tmp_path / "rag"
    shutil.copytree(SHIPPED, target)
    (target / name).write_bytes(content)
    with pytest.raises(LynxError, match="rebuild it with `lynx rag index`"):
        load_retriever(target)
