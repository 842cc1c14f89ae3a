from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.errors import LynxError
from minirag.chunk import Chunk
from minirag.embed import HashingEmbedder
from minirag.fusion import rrf
from minirag.retriever import MODES, Retriever, Single
from minirag.text import analyze


@pytest.fixture(scope="module")
def retriever(chunks: list[Chunk]) -> Retriever:
    return Retriever(chunks, HashingEmbedder(256).fit([c.indexed_text for c in chunks]))


@pytest.mark.parametrize("mode", MODES)
def test_exact_chunk_text_retrieves_its_chunk_first(retriever: Retriever, mode: str) -> None:
    for chunk in retriever.chunks[:6]:
        assert retriever.search(chunk.indexed_text, 3, mode)[0].chunk_id == chunk.chunk_id  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fuse", [("bm25", "structured"), ("bm25", "dense"), ("bm25", "structured", "dense")]
)
def test_hybrid_is_rrf_of_the_fused_rule_rankings(
    retriever: Retriever, fuse: tuple[Single, ...]
) -> None:
    retriever = Retriever(retriever.chunks, retriever.embedder, retriever.index.vectors, fuse=fuse)
    query = "past participle of write"
    lists = [retriever.search(query, retriever.pool, m) for m in fuse]
    want = rrf([[h.rule_id for h in hits] for hits in lists])[:5]
    got = retriever.search(query, 5, "hybrid")
    assert [(h.rule_id, h.score) for h in got] == want
    for h in got:  # each rule is shown by its best-ranked chunk in either list
        ranks = [
            next((i for i, x in enumerate(hits) if x.rule_id == h.rule_id), 99) for hits in lists
        ]
        assert h.chunk_id == lists[ranks.index(min(ranks))][min(ranks)].chunk_id


def test_chunk_level_hybrid_is_rrf_of_chunk_pools(chunks: list[Chunk]) -> None:
    r = Retriever(
        chunks, HashingEmbedder(256).fit([c.indexed_text for c in chunks]), per_rule=False
    )
    query = "past participle of write"
    lists = [[h.chunk_id for h in r.search(query, r.pool, m)] for m in r.fuse]
    assert [(h.chunk_id, h.score) for h in r.search(query, 5, "hybrid")] == rrf(lists)[:5]


@pytest.mark.parametrize("mode", MODES)
def test_top_k_are_distinct_rules_best_chunk_first(retriever: Retriever, mode: str) -> None:
    hits = retriever.search("¿cuál es el pasado de eat?", 6, mode)  # type: ignore[arg-type]
    assert len({h.rule_id for h in hits}) == len(hits)
    if mode == "bm25":  # the shown chunk is the rule's best-scoring one
        lx = retriever.lexical
        full = retriever.bm25.scores(
            analyze("¿cuál es el pasado de eat?", stemming=lx.stemming, stopwords=lx.stopwords)
        )
        assert len(hits) >= 2
        for h in hits:
            best = max(full[i] for i, c in enumerate(retriever.chunks) if c.rule_id == h.rule_id)
            assert h.score == pytest.approx(best)


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


def test_title_weight_counts_the_title_again_in_bm25(chunks: list[Chunk]) -> None:
    """Each extra title copy adds the title's terms to the BM25 document; 0 copies is refused."""
    from minirag.retriever import LexicalConfig

    emb = HashingEmbedder(64).fit([c.indexed_text for c in chunks])
    once = Retriever(chunks, emb, lexical=LexicalConfig(title_weight=1))
    thrice = Retriever(chunks, emb, lexical=LexicalConfig(title_weight=3))
    title_terms = [len(analyze(c.title, stopwords=True)) for c in chunks]
    np.testing.assert_array_equal(
        thrice.bm25.doc_len - once.bm25.doc_len, 2 * np.asarray(title_terms, dtype=np.float64)
    )
    word = analyze(chunks[0].title, stopwords=True)[0]
    assert thrice.bm25.scores([word])[0] > 0
    with pytest.raises(LynxError, match="title_weight"):
        Retriever(chunks, emb, lexical=LexicalConfig(title_weight=0))


def test_snake_case_codes_are_words() -> None:
    assert analyze("Error code wrong_aux_will_with_to") == [
        "error",
        "code",
        "wrong",
        "aux",
        "will",
        "with",
        "to",
    ]
