"""minigrad.probability: information identities, scipy/torch parity, ECE by hand, temperature fitting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from minigrad.probability import (
    cross_entropy,
    cross_entropy_from_logits,
    cross_entropy_via_softmax,
    entropy,
    expected_calibration_error,
    fit_temperature,
    kl,
    kl_divergence,
    perplexity,
    reliability_bins,
)

special = pytest.importorskip("scipy.special", reason="scipy is the reference for entr/rel_entr")


@st.composite
def dirichlet_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    k = draw(st.integers(2, 600))
    seed = draw(st.integers(0, 2**32 - 1))
    alpha = draw(st.sampled_from([0.1, 1.0, 10.0]))
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(k, alpha)), rng.dirichlet(np.full(k, alpha))


@given(dirichlet_pairs())
def test_cross_entropy_is_entropy_plus_kl(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    assert abs(cross_entropy(p, q) - (entropy(p) + kl_divergence(p, q))) < 1e-10


@given(dirichlet_pairs())
def test_gibbs_inequality_and_scipy_parity(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    assert kl_divergence(p, q) >= 0.0
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    assert kl_divergence(p, q) == pytest.approx(
        float(np.sum(special.rel_entr(p, q))), rel=1e-9, abs=1e-12
    )
    assert entropy(p) == pytest.approx(float(np.sum(special.entr(p))), rel=1e-12, abs=1e-12)
    assert entropy(p) <= math.log(p.size) + 1e-12


def test_worked_values_over_five_tenses() -> None:
    assert entropy(np.full(5, 0.2)) == pytest.approx(math.log(5))  # 1.609 nats = 2.322 bits
    assert entropy([0.6, 0.1, 0.1, 0.1, 0.1]) == pytest.approx(1.2275294, rel=1e-6)
    assert entropy([1.0, 0, 0, 0, 0]) == 0.0
    point, q = [1.0, 0, 0, 0, 0], [0.6, 0.1, 0.1, 0.1, 0.1]
    assert kl_divergence(point, q) == pytest.approx(math.log(5 / 3))
    assert cross_entropy(point, q) == pytest.approx(-math.log(0.6))
    assert kl is kl_divergence


def test_float32_distributions_are_accepted_within_their_precision() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal(600).astype(np.float32) * 3
    e = np.exp(z - z.max())
    p32 = (e / e.sum()).astype(np.float32)  # sums to 1 only within float32 rounding
    assert 0.0 < entropy(p32) < math.log(600)
    with pytest.raises(ValueError, match="sums to"):
        entropy(np.array([0.5, 0.5001]))  # float64: the strict tolerance applies


def test_support_mismatch_gives_infinity() -> None:
    p, q = [0.5, 0.5, 0, 0, 0], [0.2] * 5
    assert kl_divergence(p, q) == pytest.approx(math.log(2.5))
    assert np.isposinf(kl_divergence(q, p))
    assert np.isposinf(cross_entropy(q, p))


@pytest.mark.parametrize(
    ("p", "message"),
    [
        ([0.5, 0.6], "sums to"),
        ([1.5, -0.5], "negative"),
        ([[0.5, 0.5]], "1-D"),
        ([np.nan, 1.0], "NaN"),
    ],
)
def test_invalid_distributions_are_rejected(p: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        entropy(p)


def test_cross_entropy_from_logits_matches_torch() -> None:
    torch = pytest.importorskip("torch", reason="torch is the fp64 oracle for cross-entropy")
    rng = np.random.default_rng(42)
    z = rng.standard_normal((16, 600)) * 30  # (B, V), logits far beyond exp's comfort zone
    y = rng.integers(0, 600, size=16)
    zt, yt = torch.tensor(z, dtype=torch.float64), torch.tensor(y)
    assert cross_entropy_from_logits(z, y) == pytest.approx(
        torch.nn.functional.cross_entropy(zt, yt).item(), rel=1e-13
    )
    per = cross_entropy_from_logits(z, y, reduction="none")
    expected = torch.nn.functional.cross_entropy(zt, yt, reduction="none").numpy()
    np.testing.assert_allclose(per, expected, rtol=1e-13)
    assert cross_entropy_from_logits(z, y, reduction="sum") == pytest.approx(float(expected.sum()))


def test_cross_entropy_from_logits_single_example_and_extremes() -> None:
    assert cross_entropy_from_logits([1.2, 92.0, 3.1, 0.5, 2.9], 2) == pytest.approx(88.9, abs=1e-9)
    huge = np.array([10.0, 92.0, 30.0, -50.0, 40.0], dtype=np.float32)
    assert cross_entropy_from_logits(huge, 3) == pytest.approx(142.0)
    assert cross_entropy_via_softmax(huge, 3) == math.inf
    assert cross_entropy_from_logits(np.zeros(600), 7) == pytest.approx(math.log(600))
    assert perplexity(math.log(600)) == pytest.approx(600)


def test_cross_entropy_from_logits_bad_targets() -> None:
    with pytest.raises(ValueError, match="class indices in 0..4"):
        cross_entropy_from_logits(np.zeros((2, 5)), np.array([0, 5]))
    with pytest.raises(TypeError, match="integer"):
        cross_entropy_from_logits(np.zeros((2, 5)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction"):
        cross_entropy_from_logits(np.zeros((2, 5)), np.array([0, 1]), reduction="avg")


def test_ece_hand_computed() -> None:
    # Two bins used: conf 0.9 (two examples, one right) and conf 0.6 (two examples, both right).
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    labels = np.array([0, 1, 0, 1])
    bins = reliability_bins(probs, labels, n_bins=10)
    # |acc - conf| = |0.5 - 0.9| in bin (0.8, 0.9], |1.0 - 0.6| in bin (0.5, 0.6]; each holds half the data.
    assert bins.ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert bins.counts.tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 2, 0]
    assert np.isnan(bins.accuracy[0])
    assert expected_calibration_error(np.eye(3), np.arange(3)) == 0.0


def test_temperature_fit_matches_a_scalar_minimiser() -> None:
    optimize = pytest.importorskip(
        "scipy.optimize", reason="scipy minimises the same NLL as an oracle"
    )
    rng = np.random.default_rng(7)
    y = rng.integers(0, 5, size=400)
    z = rng.standard_normal((400, 5))
    z[np.arange(400), y] += 1.0
    z *= 4.0  # sharpen: an overconfident model, so T* > 1

    def nll(t: float) -> float:
        return float(cross_entropy_from_logits(z / t, y))

    ref = optimize.minimize_scalar(
        nll, bounds=(0.05, 50), method="bounded", options={"xatol": 1e-10}
    )
    t = fit_temperature(z, y)
    assert t > 1.0
    assert t == pytest.approx(ref.x, rel=1e-5)
    assert nll(t) <= ref.fun + 1e-12


def test_temperature_scaling_lowers_ece_of_an_overconfident_model() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 5, size=2000)
    z = rng.standard_normal((2000, 5))
    z[np.arange(2000), y] += 1.5
    z *= 3.0
    t = fit_temperature(z[:1000], y[:1000])
    e = np.exp(z[1000:] - z[1000:].max(1, keepdims=True))
    before = expected_calibration_error(e / e.sum(1, keepdims=True), y[1000:])
    e_t = np.exp((z[1000:] - z[1000:].max(1, keepdims=True)) / t)
    after = expected_calibration_error(e_t / e_t.sum(1, keepdims=True), y[1000:])
    assert after < before


@given(arrays(np.float64, (30, 4), elements=st.floats(-20, 20)), st.integers(0, 3))
def test_ece_is_a_probability(logits: np.ndarray, shift: int) -> None:
    e = np.exp(logits - logits.max(1, keepdims=True))
    labels = (np.arange(30) + shift) % 4
    assert 0.0 <= expected_calibration_error(e / e.sum(1, keepdims=True), labels) <= 1.0
