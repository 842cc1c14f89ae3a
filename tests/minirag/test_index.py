from __future__ import annotations

import numpy as np
import pytest

from minirag.embed import HashingEmbedder, l2_normalize
from minirag.index import FlatIndex, IVFIndex, top_k_rows


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    return l2_normalize(rng.normal(size=(n, d)))


def test_flat_search_by_hand() -> None:
    index = FlatIndex(np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    ids, scores = index.search(np.array([0.8, 0.6]), 2)
    assert ids.tolist() == [[2, 0]]  # 0.6·0.8 + 0.8·0.6 = 0.96 beats 1·0.8
    np.testing.assert_allclose(scores, [[0.96, 0.8]], rtol=1e-6)


def test_top_k_rows_matches_full_sort() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 40))
    for k in (1, 7, 40, 50):
        ids, top = top_k_rows(scores, k)
        expected = np.argsort(-scores, axis=1)[:, : min(k, 40)]
        assert ids.tolist() == expected.tolist()
        np.testing.assert_allclose(top, np.take_along_axis(scores, expected, axis=1), rtol=1e-6)


def test_flat_equals_faiss_index_flat_ip() -> None:
    faiss = pytest.importorskip("faiss", reason="oracle: install the `rag` extra / dev group")
    rng = np.random.default_rng(1)
    base, queries = _unit(rng, 2000, 32), _unit(rng, 50, 32)
    oracle = faiss.IndexFlatIP(32)
    oracle.add(base)
    want_scores, want_ids = oracle.search(queries, 10)
    ids, scores = FlatIndex(base).search(queries, 10)
    assert ids.tolist() == want_ids.tolist()
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)


def test_flat_equals_faiss_on_kb_embeddings(chunks: list) -> None:  # type: ignore[type-arg]
    faiss = pytest.importorskip("faiss", reason="oracle: install the `rag` extra / dev group")
    texts = [c.indexed_text for c in chunks]
    emb = HashingEmbedder(256).fit(texts)
    base = emb.embed(texts)
    queries = emb.embed(["past participle of eat", "will + infinitive", "tercera persona"])
    oracle = faiss.IndexFlatIP(256)
    oracle.add(base)
    want_scores, want_ids = oracle.search(queries, 5)
    ids, scores = FlatIndex(base).search(queries, 5)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)
    # equal scores may legitimately swap places; the ranked score lists and the id sets per score agree
    for row in range(len(queries)):
        for s in np.unique(scores[row]):
            assert set(ids[row][scores[row] == s]) == set(
                want_ids[row][np.isclose(want_scores[row], s)]
            )


def test_ivf_recall_grows_with_probes_and_is_exact_at_full_probe() -> None:
    rng = np.random.default_rng(2)
    base, queries = _unit(rng, 3000, 16), _unit(rng, 40, 16)
    exact, _ = FlatIndex(base).search(queries, 10)

    def recall(n_probe: int) -> float:
        ivf = IVFIndex(base, n_lists=32, n_probe=n_probe, seed=0)
        ids, _ = ivf.search(queries, 10)
        return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact, strict=True)]))

    r1, r8, r32 = recall(1), recall(8), recall(32)
    assert r1 < r8 <= r32 == 1.0


def test_embedder_rows_are_unit_and_deterministic() -> None:
    emb = HashingEmbedder(64).fit(["I ate", "she has eaten"])
    a, b = emb.embed(["she has eaten", ""]), emb.embed(["she has eaten", ""])
    np.testing.assert_array_equal(a, b)
    assert np.linalg.norm(a[0]) == pytest.approx(1.0, abs=1e-6)
    assert not a[1].any()  # an empty text matches nothing rather than being NaN
