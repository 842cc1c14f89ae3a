"""Wilson intervals, slices, confusion, ECE/Brier, perplexity and pass@k against hand and scipy values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from minieval.metrics import (
    brier,
    brier_multiclass,
    confusion_matrix,
    ece,
    pass_at_k,
    pass_at_k_table,
    perplexity,
    reliability_bins,
    slice_accuracy,
    wilson_interval,
)


def test_wilson_matches_the_seeds_worked_example() -> None:
    lo, hi = wilson_interval(48, 60)  # p = 0.8, N = 60
    assert (round(lo, 2), round(hi, 2)) == (0.68, 0.88)


def test_wilson_at_the_boundaries() -> None:
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and 0.2 < hi < 0.35
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and 0.65 < lo < 0.8
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="0 <= correct <= n"):
        wilson_interval(5, 3)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 500), frac=st.floats(0, 1))
def test_wilson_equals_the_score_test_inversion(n: int, frac: float) -> None:
    c = round(frac * n)
    lo, hi = wilson_interval(c, n)
    z = stats.norm.ppf(0.975)
    p = c / n
    # the Wilson bounds are the two roots of (p - q)^2 = z^2 q (1 - q) / n
    for q in (lo, hi):
        if 0 < q < 1:
            assert (p - q) ** 2 == pytest.approx(z * z * q * (1 - q) / n, abs=1e-9)
    assert lo <= p <= hi


def test_slice_accuracy_sorts_weakest_first() -> None:
    items = ["en", "en", "es", "es", "es"]
    out = slice_accuracy(items, [True, True, True, False, False], lambda x: x, "language")
    assert [(s.value, s.n, s.correct) for s in out] == [("es", 3, 1), ("en", 2, 2)]
    assert out[0].as_dict()["wilson_lo"] == pytest.approx(wilson_interval(1, 3)[0])


def test_confusion_matrix_rows_are_true_labels() -> None:
    m = confusion_matrix(["a", "a", "b"], ["b", "a", "b"], ["a", "b"])
    assert m == [[1, 1], [0, 1]]
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(["a"], ["z"], ["a", "b"])


def test_ece_perfectly_calibrated_and_overconfident() -> None:
    ok = np.array([1] * 70 + [0] * 30)
    assert ece(np.full(100, 0.7), ok) < 1e-12
    assert ece(np.full(100, 0.95), np.array([1, 0] * 50)) == pytest.approx(0.45)


def test_ece_by_hand_over_two_bins() -> None:
    conf = [0.15, 0.15, 0.85, 0.85, 0.85, 1.0]
    ok = [0, 1, 1, 1, 0, 1]
    # bin [0.1, 0.2): acc 0.5 vs conf 0.15; bin [0.8, 0.9): acc 2/3 vs 0.85; bin [0.9, 1.0]: acc 1 vs 1.0
    expected = 2 / 6 * 0.35 + 3 / 6 * abs(2 / 3 - 0.85) + 0
    assert ece(conf, ok) == pytest.approx(expected)
    bins = reliability_bins(conf, ok)
    assert [b.count for b in bins] == [0, 2, 0, 0, 0, 0, 0, 0, 3, 1]
    assert math.isnan(bins[0].accuracy)


def test_brier_scores() -> None:
    assert brier([1.0, 0.0], [1, 0]) == 0.0
    ok = np.random.default_rng(0).integers(0, 2, 1000)
    assert brier(np.full(1000, 0.5), ok) == pytest.approx(0.25)
    # two candidates, 0.8 on the right one: ((0.2)^2 + (0.8)^2... per class) / C
    assert brier_multiclass([[0.8, 0.2]], [[0]]) == pytest.approx((0.04 + 0.04) / 2)
    assert brier_multiclass([[0.5, 0.5, 0.0]], [[0, 1]]) == pytest.approx((0.25 + 0.25) / 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier([1.2], [1])


def test_perplexity_is_exp_of_token_mean_nll() -> None:
    assert perplexity(10 * math.log(512), 10) == pytest.approx(512)
    with pytest.raises(ValueError, match="at least one"):
        perplexity(1.0, 0)
    with pytest.raises(ValueError, match="finite"):
        perplexity(float("nan"), 3)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), data=st.data())
def test_pass_at_k_equals_brute_force_over_subsets(n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, n))
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    brute = sum(any(s) for s in subsets) / len(subsets)
    assert pass_at_k(n, c, k) == pytest.approx(brute)


def test_pass_at_k_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(5, 2, 6)


def test_pass_at_k_table_per_cell() -> None:
    table = pass_at_k_table({"past:3sg": [True] + [False] * 19, "present:1sg": [True] * 20})
    assert table["past:3sg"]["pass@1"] == pytest.approx(1 / 20)
    assert table["past:3sg"]["pass@10"] == pytest.approx(0.5)  # 1 - C(19,10)/C(20,10)
    assert table["present:1sg"] == {"n": 20, "correct": 20, "pass@1": 1.0, "pass@10": 1.0}
    with pytest.raises(ValueError, match="fewer than k = 10"):
        pass_at_k_table({"x": [True] * 5})
