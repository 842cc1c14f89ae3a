"""minigrad.numerics: stable softmax family against scipy/torch in fp64, the naive failures, summation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from minigrad.numerics import (
    exact_sum,
    fp64_sum,
    kahan_sum,
    log_softmax,
    log_softmax_naive,
    logsumexp,
    logsumexp_naive,
    naive_sum,
    neumaier_sum,
    pairwise_sum,
    softmax,
    softmax_jacobian,
    softmax_naive,
)

special = pytest.importorskip(
    "scipy.special", reason="scipy is the fp64 oracle for softmax/logsumexp"
)

TENSE_LOGITS = np.array([1.2, 4.7, 3.1, 0.5, 2.9])
finite_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 8)),
    elements=st.floats(-50, 50, allow_nan=False),
)


def test_tense_logits_softmax_hand_values() -> None:
    # exp(1.2) + exp(4.7) + exp(3.1) + exp(0.5) + exp(2.9) = 3.3201 + 109.9472 + 22.1980 + 1.6487 + 18.1741
    # = 155.2881; each term divided by that sum (the seed's [0.018, 0.612, ...] does not sum this way):
    expected = np.exp(TENSE_LOGITS) / np.exp(TENSE_LOGITS).sum()
    p = softmax(TENSE_LOGITS)
    np.testing.assert_allclose(p, [0.021380, 0.708021, 0.142947, 0.010617, 0.117035], atol=1e-6)
    np.testing.assert_allclose(p, expected, rtol=1e-15)


@given(finite_rows)
def test_softmax_and_log_softmax_match_scipy(x: np.ndarray) -> None:
    np.testing.assert_allclose(softmax(x), special.softmax(x, axis=-1), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        log_softmax(x), special.log_softmax(x, axis=-1), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(logsumexp(x), special.logsumexp(x, axis=-1), rtol=1e-12)


@given(finite_rows, st.floats(-1e3, 1e3))
def test_shift_invariance(x: np.ndarray, c: float) -> None:
    np.testing.assert_allclose(logsumexp(x + c), logsumexp(x) + c, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(log_softmax(x + c), log_softmax(x), atol=1e-9)


@given(finite_rows)
def test_softmax_rows_are_distributions(x: np.ndarray) -> None:
    p = softmax(x.astype(np.float32))
    assert p.dtype == np.float32
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-5)


def test_torch_oracle_on_extreme_logits() -> None:
    torch = pytest.importorskip("torch", reason="torch is the fp64 oracle")
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0], [0.0, 0.0, 0.0]])
    expected = torch.log_softmax(torch.tensor(z, dtype=torch.float64), dim=-1).numpy()
    np.testing.assert_allclose(log_softmax(z), expected, rtol=1e-14)
    np.testing.assert_allclose(
        logsumexp(z), torch.logsumexp(torch.tensor(z), dim=-1).numpy(), rtol=1e-14
    )


def test_naive_versions_fail_where_the_stable_ones_do_not() -> None:
    big = np.array([1.0, 92.0, 3.0, 0.0, 2.0], dtype=np.float32)
    assert np.isnan(softmax_naive(big)).any()
    np.testing.assert_allclose(softmax(big), [0, 1, 0, 0, 0], atol=1e-30)
    assert np.isposinf(logsumexp_naive(np.array([1000.0, 1001.0])))
    assert np.isneginf(logsumexp_naive(np.array([-1000.0, -999.0])))
    assert np.isneginf(log_softmax_naive(np.array([0.0, -1000.0]))[1])
    assert log_softmax(np.array([0.0, -1000.0]))[1] == pytest.approx(-1000.0)


def test_masked_and_fully_masked_rows() -> None:
    p = softmax(np.array([1.0, -np.inf, 3.0, 0.0, 2.0]))
    assert p[1] == 0.0 and p.sum() == pytest.approx(1.0)
    assert np.isneginf(logsumexp(np.array([-np.inf, -np.inf])))
    assert np.isnan(softmax(np.array([-np.inf, -np.inf]))).all()


def test_batched_axis_and_keepdims() -> None:
    x = np.arange(12.0).reshape(3, 4)
    assert logsumexp(x, axis=0).shape == (4,)
    assert logsumexp(x, keepdims=True).shape == (3, 1)
    np.testing.assert_allclose(softmax(x, axis=0), special.softmax(x, axis=0), rtol=1e-14)


@pytest.mark.parametrize("bad", [np.array(3.0), np.array([]), np.array(["a", "b"])])
def test_bad_inputs_are_rejected(bad: np.ndarray) -> None:
    with pytest.raises((ValueError, TypeError), match="x "):
        softmax(bad)


def test_six_hundred_uniform_probabilities() -> None:
    x = np.full(600, np.float32(1 / 600), dtype=np.float32)
    assert kahan_sum(x) == pytest.approx(1.0, abs=1e-7)
    assert neumaier_sum(x) == pytest.approx(1.0, abs=1e-7)
    assert abs(naive_sum(x) - 1.0) > abs(kahan_sum(x) - 1.0)


def test_summation_stall_past_two_to_the_24() -> None:
    # 2**24 + 1 is not a float32: a naive float32 loop never moves past 2**24.
    x = np.concatenate([[np.float32(2**24)], np.ones(1000, dtype=np.float32)]).astype(np.float32)
    assert naive_sum(x) == 2**24
    assert kahan_sum(x) == 2**24 + 1000
    assert neumaier_sum(x) == 2**24 + 1000
    assert fp64_sum(x) == 2**24 + 1000


def test_neumaier_handles_a_large_late_addend() -> None:
    x = np.array([1.0, 1e100, 1.0, -1e100])  # Kahan loses both ones, Neumaier keeps them
    assert neumaier_sum(x) == 2.0
    assert exact_sum(x) == 2.0


@given(
    arrays(np.float32, st.integers(1, 300), elements=st.floats(-1e3, 1e3, width=32)),
)
def test_compensated_sums_are_at_least_as_accurate_as_naive(x: np.ndarray) -> None:
    exact = exact_sum(x)
    scale = float(np.sum(np.abs(x.astype(np.float64)))) or 1.0
    eps = float(np.finfo(np.float32).eps)
    assert abs(kahan_sum(x) - exact) <= 2 * eps * scale + 1e-30
    assert abs(neumaier_sum(x) - exact) <= 2 * eps * scale + 1e-30
    n = x.size
    assert abs(pairwise_sum(x) - exact) <= (math.log2(n) + 9) * eps * scale + 1e-30
    assert abs(naive_sum(x) - exact) <= n * eps * scale + 1e-30


def test_error_growth_ordering_on_a_long_float32_sum() -> None:
    rng = np.random.default_rng(42)
    x = (np.float32(1 / 600) + rng.standard_normal(20_000).astype(np.float32) * 1e-5).astype(
        np.float32
    )
    exact = exact_sum(x)
    naive_err = abs(naive_sum(x) - exact)
    assert abs(kahan_sum(x) - exact) * 10 < naive_err
    assert abs(pairwise_sum(x) - exact) * 10 < naive_err


def test_sum_inputs_validated() -> None:
    with pytest.raises(ValueError, match="1-D"):
        kahan_sum(np.ones((2, 2)))
    with pytest.raises(ValueError, match="block"):
        pairwise_sum(np.ones(3), block=0)


def test_softmax_jacobian_against_central_differences() -> None:
    z = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    h = 1e-5
    numeric = np.stack(
        [(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(5)], axis=1
    )  # column j = ∂p/∂z_j
    jac = softmax_jacobian(z)
    assert np.max(np.abs(jac - numeric)) < 1e-9
    np.testing.assert_allclose(jac, jac.T, atol=0)
    np.testing.assert_allclose(jac.sum(axis=0), 0.0, atol=1e-15)
    # Chain rule with CE = -log p_y gives p - onehot(y) for every target y.
    for y in range(5):
        grad_ce = jac.T @ (-np.eye(5)[y] / softmax(z)[y])
        np.testing.assert_allclose(grad_ce, softmax(z) - np.eye(5)[y], atol=1e-12)


def test_softmax_jacobian_matches_torch_autograd() -> None:
    torch = pytest.importorskip("torch", reason="torch autograd is the Jacobian oracle")
    z = np.array([1.2, 4.7, 3.1, 0.5, 2.9])
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, dim=0), torch.tensor(z, dtype=torch.float64)
    ).numpy()
    np.testing.assert_allclose(softmax_jacobian(z), expected, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="1-D"):
        softmax_jacobian(np.ones((2, 2)))
