"""minigrad.schedules: the seed's six checks, shape properties, and configuration errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad.schedules import (
    SCHEDULES,
    constant,
    cosine,
    linear_warmup,
    make_schedule,
    step_decay,
    warmup_cosine,
    wsd,
)


def test_constant_is_constant() -> None:
    assert {constant(t) for t in (0, 5000, 99_999)} == {1.0}


def test_warmup_starts_at_zero_and_ends_at_peak() -> None:
    assert warmup_cosine(0, warmup_steps=500) == 0.0
    assert abs(warmup_cosine(500, warmup_steps=500, total_steps=10_000) - 1.0) < 1e-9
    assert warmup_cosine(250, warmup_steps=500) == pytest.approx(0.5)


def test_cosine_ends_at_eta_min() -> None:
    assert abs(cosine(10_000, total_steps=10_000)) < 1e-9
    assert cosine(5000, total_steps=10_000) == pytest.approx(0.5)
    assert cosine(20_000, eta_min=0.1, total_steps=10_000) == 0.1


def test_step_decay_drops() -> None:
    assert step_decay(999) == 1.0
    assert step_decay(1000) == pytest.approx(0.1)
    assert step_decay(1999) == pytest.approx(0.1)
    assert step_decay(2000) == pytest.approx(0.01)


def test_wsd_three_phases() -> None:
    assert 0.0 < wsd(100) < 1.0
    assert wsd(3000) == 1.0
    assert wsd(8500) == pytest.approx(0.5)
    assert wsd(10_000) == 0.0


def test_linear_warmup_then_flat() -> None:
    assert [linear_warmup(t, warmup_steps=4) for t in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


@given(st.integers(0, 20_000), st.floats(1e-5, 1.0), st.floats(0.0, 1e-5))
def test_warmup_cosine_stays_in_range(t: int, eta_0: float, eta_min: float) -> None:
    lr = warmup_cosine(t, eta_0=eta_0, eta_min=eta_min, warmup_steps=500, total_steps=10_000)
    assert 0.0 <= lr <= eta_0 + 1e-15
    if t >= 500:
        assert lr >= eta_min - 1e-15


@given(st.integers(500, 9_999))
def test_decay_phase_is_non_increasing(t: int) -> None:
    assert warmup_cosine(t + 1) <= warmup_cosine(t) + 1e-15
    assert cosine(t + 1) <= cosine(t) + 1e-15


def test_make_schedule_binds_parameters() -> None:
    sched = make_schedule("warmup_cosine", eta_0=3e-4, warmup_steps=500, total_steps=10_000)
    assert sched(500) == pytest.approx(3e-4)
    assert sched(10_000) == 0.0
    assert set(SCHEDULES) == {"constant", "step", "linear_warmup", "cosine", "warmup_cosine", "wsd"}


@pytest.mark.parametrize(
    ("name", "params", "error", "message"),
    [
        ("cosinus", {}, ValueError, "unknown schedule"),
        ("cosine", {"total": 10}, TypeError, "total"),
        ("warmup_cosine", {"warmup_steps": 500, "total_steps": 400}, ValueError, "must exceed"),
        ("wsd", {"stable_until": 20_000}, ValueError, "stable_until"),
        ("step", {"step_size": 0}, ValueError, "step_size"),
    ],
)
def test_configuration_errors_fail_early(
    name: str, params: dict[str, float], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make_schedule(name, **params)


def test_bad_step_values() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        cosine(-1)
    with pytest.raises(TypeError, match="int"):
        cosine(1.5)  # type: ignore[arg-type]
    assert math.isclose(cosine(0, eta_0=2.0), 2.0)
