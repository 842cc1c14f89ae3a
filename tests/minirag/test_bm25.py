from __future__ import annotations

import math

import numpy as np
import pytest

from minirag.bm25 import BM25
from minirag.chunk import Chunk
from minirag.text import analyze

QUERIES = [
    "what is the past participle of eat?",
    "¿cuál es el pasado de write?",
    "when do I add es to a verb",
    "will goes",
    "the the the of",  # only very common terms: exercises the okapi epsilon floor
    "zzz unknown words",
]


def _docs(chunks: list[Chunk]) -> list[list[str]]:
    return [analyze(c.indexed_text) for c in chunks]


def test_scores_by_hand() -> None:
    docs = [["eat", "ate"], ["go"], ["eat", "eat", "go", "went"]]
    bm = BM25(docs, k1=1.2, b=0.5)
    n, avgdl = 3, 7 / 3
    idf_eat = math.log1p((n - 2 + 0.5) / (2 + 0.5))
    norm = 1.2 * (1 - 0.5 + 0.5 * 4 / avgdl)
    assert bm.scores(["eat"])[2] == pytest.approx(idf_eat * 2 * 2.2 / (2 + norm), rel=1e-12)
    assert bm.scores(["eat"])[1] == 0.0
    # repeated query terms count twice, unknown terms not at all
    assert np.allclose(bm.scores(["eat", "eat", "nope"]), 2 * bm.scores(["eat"]))


def test_rare_term_outweighs_common_one() -> None:
    docs = [["verb", "eaten"], ["verb", "went"], ["verb", "gone"], ["verb", "had"]]
    bm = BM25(docs)
    assert bm.idf[bm.vocab["eaten"]] > bm.idf[bm.vocab["verb"]]
    ids, _ = bm.top_k(["verb", "eaten"], 2)
    assert ids[0] == 0


def test_top_k_drops_documents_without_query_terms() -> None:
    bm = BM25([["a"], ["b"], ["a", "b"]])
    ids, scores = bm.top_k(["a"], 3)
    assert sorted(ids.tolist()) == [0, 2] and np.all(scores > 0)


@pytest.mark.parametrize(("k1", "b"), [(1.5, 0.75), (1.2, 0.3), (0.9, 1.0)])
def test_okapi_equals_rank_bm25(chunks: list[Chunk], k1: float, b: float) -> None:
    rank_bm25 = pytest.importorskip(
        "rank_bm25", reason="oracle: install the `rag` extra / dev group"
    )
    docs = _docs(chunks)
    ours = BM25(docs, k1=k1, b=b, idf="okapi")
    oracle = rank_bm25.BM25Okapi(docs, k1=k1, b=b, epsilon=0.25)
    for query in QUERIES:
        terms = analyze(query)
        np.testing.assert_allclose(ours.scores(terms), oracle.get_scores(terms), rtol=0, atol=1e-9)


def test_lucene_equals_bm25s_up_to_its_constant(chunks: list[Chunk]) -> None:
    """bm25s' `lucene` drops BM25's (k1 + 1) numerator factor (rank-preserving) and works in float32."""
    bm25s = pytest.importorskip("bm25s", reason="oracle: install the `rag` extra / dev group")
    docs = _docs(chunks)
    ours = BM25(docs, k1=1.5, b=0.75, idf="lucene")
    oracle = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    oracle.index(docs, show_progress=False)
    for query in QUERIES:
        terms = [t for t in analyze(query) if t in ours.vocab]
        if not terms:
            continue
        np.testing.assert_allclose(
            ours.scores(terms) / 2.5, oracle.get_scores(terms), rtol=1e-6, atol=1e-6
        )


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BM25([])
    with pytest.raises(ValueError, match="0 <= b <= 1"):
        BM25([["a"]], b=1.5)
