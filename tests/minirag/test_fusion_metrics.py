from __future__ import annotations

import pytest

from minirag.fusion import rrf
from minirag.metrics import first_relevant_rank, hit_at_k, mean, reciprocal_rank


def test_rrf_by_hand() -> None:
    fused = dict(rrf([["a", "b", "c"], ["b", "d"]], k=60))
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["d"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63)
    assert [d for d, _ in rrf([["a", "b", "c"], ["b", "d"]])] == ["b", "a", "d", "c"]


def test_rrf_second_in_both_beats_first_in_one() -> None:
    order = [d for d, _ in rrf([["x", "a"], ["y", "a"]])]
    assert order[0] == "a"


def test_rrf_small_k_lets_one_list_dominate() -> None:
    # with k = 0, rank 1 in one list (1.0) beats rank 2 and 3 in both (1/2 + 1/3)
    assert rrf([["x", "a", "b"], ["y", "b", "a"]], k=0)[0][0] in {"x", "y"}
    assert rrf([["x", "a", "b"], ["y", "b", "a"]], k=60)[0][0] in {"a", "b"}


def test_rrf_rejects_duplicates() -> None:
    with pytest.raises(ValueError, match="twice"):
        rrf([["a", "a"]])


def test_hit_and_mrr_by_hand() -> None:
    ranked = ["b", "a", "c"]
    assert not hit_at_k(ranked, {"a"}, 1) and hit_at_k(ranked, {"a"}, 2)
    assert reciprocal_rank(ranked, {"a"}) == 0.5
    assert reciprocal_rank(ranked, {"z"}) == 0.0 and first_relevant_rank(ranked, {"z"}) is None
    assert reciprocal_rank(ranked, {"c", "a"}) == 0.5  # the first relevant item counts
    assert mean([reciprocal_rank(ranked, {"a"}), reciprocal_rank(ranked, {"b"})]) == 0.75
