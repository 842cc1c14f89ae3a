from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.errors import LynxError
from minirag.chunk import Chunk
from minirag.embed import HashingEmbedder
from minirag.fusion import rrf
from minirag.retriever import MODES, Retriever


@pytest.fixture(scope="module")
def retriever(chunks: list[Chunk]) -> Retriever:
    return Retriever(chunks, HashingEmbedder(256).fit([c.indexed_text for c in chunks]))


@pytest.mark.parametrize("mode", MODES)
def test_exact_chunk_text_retrieves_its_chunk_first(retriever: Retriever, mode: str) -> None:
    for chunk in retriever.chunks[:6]:
        assert retriever.search(chunk.indexed_text, 3, mode)[0].chunk_id == chunk.chunk_id  # type: ignore[arg-type]


def test_hybrid_is_rrf_of_the_two_pools(retriever: Retriever) -> None:
    query = "past participle of write"
    pool = retriever.pool
    lists = [[h.chunk_id for h in retriever.search(query, pool, m)] for m in ("bm25", "dense")]  # type: ignore[arg-type]
    want = rrf(lists)[:5]
    got = [(h.chunk_id, h.score) for h in retriever.search(query, 5, "hybrid")]
    assert got == want


def test_save_load_round_trip(retriever: Retriever, tmp_path: Path) -> None:
    retriever.save(tmp_path)
    again = Retriever.load(tmp_path, retriever.embedder)
    assert again.chunks == retriever.chunks
    np.testing.assert_array_equal(again.index.vectors, retriever.index.vectors)
    for mode in MODES:
        a = retriever.search("¿cómo se forma el futuro?", 5, mode)  # type: ignore[arg-type]
        b = again.search("¿cómo se forma el futuro?", 5, mode)  # type: ignore[arg-type]
        assert [(h.chunk_id, h.score) for h in a] == [(h.chunk_id, h.score) for h in b]
    assert not list(tmp_path.glob("*.pkl"))


def test_bad_input_is_a_lynx_error(retriever: Retriever, tmp_path: Path) -> None:
    with pytest.raises(LynxError, match="mode"):
        retriever.search("x", 3, "sparse")  # type: ignore[arg-type]
    with pytest.raises(LynxError, match="k must be"):
        retriever.search("x", 0)
    with pytest.raises(LynxError, match="lynx rag index"):
        Retriever.load(tmp_path / "missing", retriever.embedder)
    with pytest.raises(LynxError, match="rebuild"):
        Retriever(retriever.chunks, HashingEmbedder(32), retriever.index.vectors)
