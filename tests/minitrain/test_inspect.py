"""Hooks and streaming statistics: Welford against NumPy, clean removal, JSON snapshots, dead units/heads."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.nn import Linear
from minigrad.tensor import Tensor
from minitrain.inspect import HeadCounter, Inspector, UnitCounter, Welford, gelu_tanh


def test_welford_matches_numpy_over_uneven_batches() -> None:
    x = np.random.default_rng(0).normal(3.0, 2.0, size=1000)
    stats = Welford()
    for chunk in np.array_split(x, [1, 7, 300, 301, 650]):
        stats.update(chunk)
    assert stats.count == 1000
    assert stats.mean == pytest.approx(np.mean(x), abs=1e-10)
    assert stats.variance == pytest.approx(np.var(x, ddof=1), abs=1e-10)
    assert stats.mean_abs == pytest.approx(np.mean(np.abs(x)), abs=1e-10)


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=60), st.integers(1, 5))
@settings(max_examples=50, deadline=None)
def test_welford_any_split(values: list[float], parts: int) -> None:
    stats = Welford()
    for chunk in np.array_split(np.array(values), parts):
        stats.update(chunk)
    assert stats.mean == pytest.approx(np.mean(values), rel=1e-9, abs=1e-9)
    assert stats.variance == pytest.approx(np.var(values, ddof=1), rel=1e-7, abs=1e-7)


def test_hooks_record_forward_and_backward_then_remove_cleanly() -> None:
    layer = Linear(3, 4, rng=np.random.default_rng(0))
    inspector = Inspector()
    handle = inspector.watch(layer, "fc")
    x = Tensor(np.ones((5, 3)), requires_grad=True)
    out = layer(x)
    (out * 2.0).sum().backward()
    inspector.after_backward()
    snap = inspector.snapshot()
    assert snap["activations"]["fc"]["count"] == 20
    assert snap["activations"]["fc"]["mean"] == pytest.approx(float(out.data.mean()))
    assert snap["gradients"]["fc"]["mean"] == pytest.approx(2.0)
    handle.remove()
    assert "forward" not in layer.__dict__
    layer(x)
    assert "fc" not in inspector.snapshot()["activations"]
    np.testing.assert_array_equal(layer(x).data, out.data)


def test_snapshot_is_json_of_python_floats(make_model: Callable[..., Any]) -> None:
    model = make_model()
    inspector = Inspector()
    inspector.watch(model.hidden, "hidden")
    model.forward(np.array([[1, 2, 3]]))
    text = json.dumps(inspector.snapshot(), allow_nan=True)
    assert json.loads(text)["activations"]["hidden"]["count"] == 24.0
    with pytest.raises(ValueError, match="already watched"):
        inspector.watch(model.hidden, "again")


def test_dead_units_and_heads_are_counted() -> None:
    units = UnitCounter(gelu_tanh)
    h = np.random.default_rng(0).normal(size=(50, 4))
    h[:, 1] = -20.0  # GELU(-20) ≈ 0: always off
    units.update(h)
    assert units.dead() == 1
    heads = HeadCounter()
    w = np.full((2, 3, 4, 4), 0.25)
    w[:, 0] = np.eye(4)  # head 0 attends to one key for every query: entropy 0
    heads.update(w)
    assert heads.dead() == 1
    assert math.isclose(gelu_tanh(np.array([1.0]))[0], 0.841192, rel_tol=1e-5)
