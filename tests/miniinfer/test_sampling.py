"""Sampling strategies: the seed's worked top-p example, edge cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from miniinfer.sampling import (
    Greedy,
    Temperature,
    TopK,
    TopP,
    draw,
    entropy,
    nucleus_size,
    tempered_softmax,
)

# Phase 21's worked example: the ten continuations of "She has wri___".
WRI_TOKENS = ("tten", "tes", "ting", "te", "t", "tt", "s", "nt", "den", "er")
WRI_LOGITS = np.array([4.20, 1.80, 1.50, 0.60, 0.30, -0.50, -1.20, -2.10, -3.40, -4.00])

logit_vectors = st.lists(
    st.floats(min_value=-30, max_value=30, allow_nan=False), min_size=2, max_size=40
).map(np.array)


def test_worked_top_p_example_probabilities() -> None:
    # Recomputed to 4 decimals; the seed's 0.8186/0.0742/0.0223/0.0165/0.0003 are rounding slips.
    probs = tempered_softmax(WRI_LOGITS)
    expected = [0.8185, 0.0743, 0.0550, 0.0224, 0.0166, 0.0074, 0.0037, 0.0015, 0.0004, 0.0002]
    np.testing.assert_allclose(probs, expected, atol=5e-5)
    np.testing.assert_allclose(np.cumsum(probs)[:4], [0.8185, 0.8928, 0.9478, 0.9702], atol=5e-5)


def test_worked_top_p_example_supports() -> None:
    kept95 = TopP(0.95).probabilities(WRI_LOGITS)
    assert [WRI_TOKENS[i] for i in np.flatnonzero(kept95)] == ["tten", "tes", "ting", "te"]
    np.testing.assert_allclose(kept95[:4], [0.8437, 0.0765, 0.0567, 0.0231], atol=5e-5)
    assert np.flatnonzero(TopP(0.5).probabilities(WRI_LOGITS)).tolist() == [0]
    assert np.count_nonzero(TopP(1.0).probabilities(WRI_LOGITS)) == 10
    rng = np.random.default_rng(0)
    assert {TopP(0.5)(WRI_LOGITS, rng) for _ in range(50)} == {0}  # p = 0.5 is greedy here


def test_top_p_boundary_equal_to_partial_sum_keeps_that_prefix() -> None:
    probs = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    logits = np.log(probs)
    assert np.count_nonzero(TopP(0.7).probabilities(logits)) == 2
    assert np.count_nonzero(TopP(0.8).probabilities(logits)) == 3  # quiz q-21-01
    assert nucleus_size(probs, 0.85) == 3


def test_flat_vs_peaked_supports() -> None:
    # The seed's lab quotes softmax(z_flat) ~ [0.246, ..., 0.149] (top four 0.852 < 0.9, whole vocabulary kept);
    # recomputed it is [0.278, 0.251, 0.227, 0.206, 0.038]: the top four hold 0.962, so top-p 0.9 keeps four.
    z_flat = np.array([2.0, 1.9, 1.8, 1.7, 0.0])
    z_peaked = np.array([5.0, 4.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(np.cumsum(tempered_softmax(z_flat))[3], 0.9624, atol=1e-4)
    assert np.flatnonzero(TopP(0.9).probabilities(z_flat)).tolist() == [0, 1, 2, 3]
    assert np.count_nonzero(TopK(2).probabilities(z_flat)) == 2
    assert np.flatnonzero(TopP(0.9).probabilities(z_peaked)).tolist() == [0, 1]


def test_top_k_ties_break_towards_lower_ids() -> None:
    logits = np.array([3.0, 3.0, 3.0, 1.0, 1.0])
    assert np.flatnonzero(TopK(2).probabilities(logits)).tolist() == [0, 1]
    assert Greedy()(logits, np.random.default_rng(0)) == 0


def test_temperature_is_softmax_of_scaled_logits_not_powered_probs() -> None:
    z = np.array([3.0, 2.0, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0])
    ours = tempered_softmax(z, 2.0)
    reference = np.exp(z / 2.0) / np.exp(z / 2.0).sum()
    np.testing.assert_allclose(ours, reference, rtol=1e-12)
    p = tempered_softmax(z)
    # p ** (1 / tau) renormalised is the same distribution (exp(z / tau) up to a constant) ...
    np.testing.assert_allclose(p**0.5 / (p**0.5).sum(), ours, rtol=1e-12)
    # ... but p ** tau (the seed's "post-softmax power" slip) is a different one: sharper, not flatter
    powered = p**2.0 / (p**2.0).sum()
    assert entropy(powered) < entropy(p) < entropy(ours)


def test_huge_logits_and_tiny_tau_stay_finite() -> None:
    z = np.array([1e30, 1e30 - 1e15, -1e30])
    assert np.isfinite(tempered_softmax(z, 1e-300)).all()
    assert Temperature(1e-9)(np.array([0.0, 0.1, 5.0]), np.random.default_rng(1)) == 2


def test_minus_inf_is_never_sampled() -> None:
    z = np.array([-np.inf, 0.0, -np.inf, 0.0])
    rng = np.random.default_rng(3)
    for strategy in (Temperature(1.0), TopK(3), TopP(0.99), Greedy()):
        assert {strategy(z, rng) for _ in range(200)} <= {1, 3}


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Temperature(0.0), "tau must be a finite number > 0"),
        (lambda: Temperature(-1.0), "tau"),
        (lambda: Temperature(float("nan")), "tau"),
        (lambda: TopK(0), "k must be an integer >= 1"),
        (lambda: TopK(2.5), "k must be an integer"),  # type: ignore[arg-type]
        (lambda: TopK(3, tau=0), "TopK: tau"),
        (lambda: TopP(0.0), r"p must be a number in \(0, 1\]"),
        (lambda: TopP(1.5), "p must be"),
    ],
)
def test_bad_parameters_raise(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("logits", "match"),
    [
        (np.array([]), "non-empty 1-D"),
        (np.zeros((2, 3)), "non-empty 1-D"),
        (np.array([0.0, np.nan]), "NaN at ids \\[1\\]"),
        (np.array([np.inf, 0.0]), r"\+inf"),
        (np.array([-np.inf, -np.inf]), "every logit is -inf"),
    ],
)
def test_bad_logits_raise(logits: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Temperature(1.0)(logits, np.random.default_rng(0))


def test_deterministic_given_the_generator() -> None:
    a = [
        TopP(0.9, tau=0.7)(WRI_LOGITS, rng) for rng in [np.random.default_rng(5)] for _ in range(30)
    ]
    b = [
        TopP(0.9, tau=0.7)(WRI_LOGITS, rng) for rng in [np.random.default_rng(5)] for _ in range(30)
    ]
    assert a == b


def test_greedy_does_not_touch_the_generator() -> None:
    rng = np.random.default_rng(11)
    before = rng.bit_generator.state
    Greedy()(WRI_LOGITS, rng)
    assert rng.bit_generator.state == before


@settings(max_examples=60, deadline=None)
@given(logits=logit_vectors, k=st.integers(1, 10), seed=st.integers(0, 2**31))
def test_top_k_never_leaves_the_k_largest(logits: np.ndarray, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    allowed = set(np.argsort(-logits, kind="stable")[:k].tolist())
    assert all(TopK(k)(logits, rng) in allowed for _ in range(10))


@settings(max_examples=60, deadline=None)
@given(logits=logit_vectors, p=st.floats(0.01, 0.999))
def test_top_p_support_is_the_smallest_prefix_reaching_p(logits: np.ndarray, p: float) -> None:
    probs = tempered_softmax(logits)
    kept = TopP(p).probabilities(logits) > 0
    n = int(kept.sum())
    order = np.argsort(-probs, kind="stable")
    assert kept[order[:n]].all()  # a prefix of the sorted order
    assert probs[order[:n]].sum() >= p - 1e-9  # reaches p
    if n > 1:
        assert probs[order[: n - 1]].sum() < p  # and one fewer does not


@settings(max_examples=40, deadline=None)
@given(logits=logit_vectors, seed=st.integers(0, 2**31))
def test_top_p_one_and_top_k_vocab_equal_temperature(logits: np.ndarray, seed: int) -> None:
    tau = 0.8
    picks = []
    for strategy in (Temperature(tau), TopP(1.0, tau=tau), TopK(logits.size, tau=tau)):
        rng = np.random.default_rng(seed)
        picks.append([strategy(logits, rng) for _ in range(5)])
    assert picks[0] == picks[1] == picks[2]


@settings(max_examples=40, deadline=None)
@given(logits=logit_vectors, seed=st.integers(0, 2**31))
def test_top_k_one_and_tiny_tau_equal_greedy(logits: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    best = Greedy()(logits, rng)
    assert TopK(1)(logits, rng) == best
    top_two = np.sort(logits)[-2:]
    if top_two[1] - top_two[0] > 1e-6:  # a tie is split at random by any tau > 0
        assert Temperature(1e-9)(logits, rng) == best


def test_entropy_non_decreasing_in_tau() -> None:
    z = np.array([3.0, 2.0, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0])
    taus = [0.1, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 5.0, 10.0]
    h = [entropy(tempered_softmax(z, t)) for t in taus]
    assert np.all(np.diff(h) >= -1e-9)
    assert h[-1] < np.log(z.size)


@pytest.mark.parametrize("strategy", [Temperature(1.3), TopK(4, tau=0.9), TopP(0.9, tau=1.0)])
def test_sampled_frequencies_match_the_distribution(strategy: Temperature | TopK | TopP) -> None:
    rng = np.random.default_rng(2024)
    probs = strategy.probabilities(WRI_LOGITS)
    n = 20_000
    counts = np.bincount([strategy(WRI_LOGITS, rng) for _ in range(n)], minlength=probs.size)
    support = probs > 0
    assert counts[~support].sum() == 0
    _, pvalue = stats.chisquare(counts[support], n * probs[support])
    assert pvalue > 0.001


def test_draw_skips_zero_probabilities_at_the_edges() -> None:
    class Fixed:
        def __init__(self, u: float) -> None:
            self.u = u

        def random(self) -> float:
            return self.u

    probs = np.array([0.0, 0.5, 0.0, 0.5, 0.0])
    assert draw(probs, Fixed(0.0)) == 1  # type: ignore[arg-type]
    assert draw(probs, Fixed(0.5)) == 3  # type: ignore[arg-type]
    assert draw(probs, Fixed(1.0 - 1e-17)) == 3  # type: ignore[arg-type]
