"""GPTQ against round-to-nearest on toy layers whose answer can be derived."""

from __future__ import annotations

import numpy as np
import pytest

from miniquant.gptq import gptq_quantize, hessian, inverse_hessian_cholesky, reconstruction_error
from miniquant.quantize import QuantSpec, quantize

CHANNEL3 = QuantSpec(3, "channel")
G8 = QuantSpec(4, "group", 8)


def _correlated(n: int, d: int, seed: int) -> np.ndarray:
    """Inputs whose features are strongly correlated (a low-rank mix plus a little noise)."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 4)) @ rng.normal(size=(4, d))
    return base + 0.1 * rng.normal(size=(n, d))  # (n, d)


def test_hand_derived_two_column_update() -> None:
    """H couples inputs 0 and 1 (ρ = 0.75). Column 0 rounds 0.4 → 0, error 0.4; GPTQ moves w1 by
    −err · H⁻¹₀₁ / H⁻¹₀₀ = +0.75 · 0.4 = 0.3, so w1 = 0.6 rounds to 1 where RTN rounds 0.3 to 0."""
    w = np.array([[0.4, 0.3, 3.0]])  # scale max|w| / 3 = 1
    h = np.array([[1.0, 0.75, 0.0], [0.75, 1.0, 0.0], [0.0, 0.0, 1.0]])
    gptq = gptq_quantize(w, h, CHANNEL3, damp=0.0)
    rtn = quantize(w, CHANNEL3)
    assert gptq.codes.tolist() == [[0, 1, 3]]
    assert rtn.codes.tolist() == [[0, 0, 3]]
    loss = {
        name: float(((w - qt.dequantize()) @ h @ (w - qt.dequantize()).T)[0, 0])
        for name, qt in (("gptq", gptq), ("rtn", rtn))
    }
    assert loss["gptq"] == pytest.approx(0.23, abs=1e-6)  # e = [0.4, −0.7]: .16 + .49 − 2·.75·.28
    assert loss["rtn"] == pytest.approx(0.43, abs=1e-6)  # e = [0.4, 0.3]: .16 + .09 + 2·.75·.12


@pytest.mark.parametrize("spec", [CHANNEL3, G8])
def test_diagonal_hessian_makes_gptq_equal_rtn(spec: QuantSpec) -> None:
    """Uncorrelated inputs: H⁻¹'s Cholesky factor is diagonal, so no error is pushed anywhere."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(16, 32)).astype(np.float32)
    h = np.diag(rng.uniform(0.5, 2.0, size=32))
    np.testing.assert_array_equal(gptq_quantize(w, h, spec).codes, quantize(w, spec).codes)


@pytest.mark.parametrize("act_order", [False, True])
def test_correlated_inputs_gptq_beats_rtn(act_order: bool) -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(scale=0.02, size=(64, 128)).astype(np.float32)
    x = _correlated(512, 128, seed=2)
    spec = QuantSpec(4, "group", 32)
    gptq = gptq_quantize(w, hessian(x), spec, act_order=act_order)
    rtn = quantize(w, spec)
    ratio = reconstruction_error(w, gptq.dequantize(), x) / reconstruction_error(
        w, rtn.dequantize(), x
    )
    assert ratio < 0.7  # the paper's regime; > 0.9 would mean the propagation does nothing


@pytest.mark.parametrize("spec", [CHANNEL3, G8])
def test_lazy_batches_change_nothing(spec: QuantSpec) -> None:
    rng = np.random.default_rng(3)
    w = rng.normal(size=(8, 32))
    h = hessian(_correlated(200, 32, seed=4))
    reference = gptq_quantize(w, h, spec, block_size=1)
    for size in (5, 8, 128):
        blocked = gptq_quantize(w, h, spec, block_size=size)
        np.testing.assert_array_equal(blocked.codes, reference.codes)
        np.testing.assert_array_equal(blocked.scales, reference.scales)


def test_cholesky_factor_reconstructs_the_damped_inverse() -> None:
    h = hessian(_correlated(100, 12, seed=5))
    upper, dead = inverse_hessian_cholesky(h, damp=0.01)
    assert not dead.any() and np.allclose(upper, np.triu(upper))
    damped = h + 0.01 * np.mean(np.diag(h)) * np.eye(12)
    np.testing.assert_allclose(upper.T @ upper, np.linalg.inv(damped), rtol=1e-8, atol=1e-10)


def test_dead_inputs_are_zeroed_and_bad_specs_refused() -> None:
    x = _correlated(50, 8, seed=6)
    x[:, 3] = 0.0  # input 3 never fires
    w = np.ones((2, 8))
    qt = gptq_quantize(w, hessian(x), CHANNEL3)
    assert np.all(qt.codes[:, 3] == 0)
    with pytest.raises(ValueError, match="symmetric"):
        gptq_quantize(w, hessian(x), QuantSpec(4, "tensor"))
    with pytest.raises(ValueError, match="Hessian"):
        gptq_quantize(w, np.eye(3), CHANNEL3)
