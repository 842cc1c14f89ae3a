"""Phase 10 labs and break, in smoke size: the variance rules, the init and norm ablations, residual depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_variance_walk_follows_the_n_sigma2_rule(tmp_path: Path) -> None:
    res = run_lab("10-variance-walk", out=tmp_path / "run").results
    walk = res["walk"]
    for act in ("linear", "relu"):
        for name in ("uniform", "xavier", "kaiming"):
            emp, pred = (
                np.array(walk[act][name]["empirical"]),
                np.array(walk[act][name]["predicted"]),
            )
            # per-layer growth factors agree with n·σ² (·½ under ReLU) to within sampling noise
            ratio = np.exp(np.mean(np.log(emp[1:] / emp[:-1])))
            assert ratio == pytest.approx(walk[act][name]["factor_per_layer"], rel=0.25), (
                act,
                name,
            )
            assert np.all(np.isfinite(pred))
    # The seeded smoke walk (10 layers of width 64, float64): re-runs repeat these to the last digit.
    assert res["linear_xavier_final_variance"] == pytest.approx(1.0422649018589, rel=1e-9)
    assert res["relu_kaiming_final_variance"] == pytest.approx(1.8116204999170, rel=1e-9)
    assert res["relu_xavier_final_variance"] == pytest.approx(0.0016483377468, rel=1e-9)
    # What the rule predicts, with room for sampling noise: at width 64 each layer's variance factor wanders
    # by ~sqrt(2/64) ≈ 18 %, so over 10 layers the final variance stays within a factor 4 of the rule's 1
    # (±2.5σ in log space), while Xavier under ReLU halves it per layer and loses three orders of magnitude.
    for name in ("linear_xavier", "relu_kaiming"):
        assert 0.25 < res[f"{name}_final_variance"] < 4.0, name
    assert res["relu_xavier_final_variance"] < 0.01  # vanished: the rule says 2**-10 ≈ 0.001
    assert res["linear_uniform_final_variance"] > 1e5 * res["linear_xavier_final_variance"]
    assert (tmp_path / "run" / "variance.png").is_file()


def test_init_ablation_curves_differ_as_predicted(tmp_path: Path) -> None:
    runs = run_lab("10-init-ablation", out=tmp_path / "run").results["runs"]
    assert runs["uniform"]["first_loss"] > 5 * runs["kaiming"]["first_loss"]  # exploded logits
    assert runs["kaiming"]["final_loss"] < runs["xavier"]["final_loss"]  # Xavier crawls under ReLU
    assert (tmp_path / "run" / "loss_curves.png").is_file()


def test_norm_ablation_trains_every_variant_and_times_them(tmp_path: Path) -> None:
    res = run_lab("10-norm-ablation", out=tmp_path / "run").results
    for norm in ("none", "batchnorm", "layernorm", "rmsnorm"):
        run = res["runs"][norm]
        assert np.isfinite(run["final_loss"]) and run["ms_per_step_median"] > 0
        assert run["final_loss"] < run["loss"][0] + 0.1
    assert res["rmsnorm_vs_layernorm_time_ratio"] > 0  # measured, never asserted as a speed-up
    assert (tmp_path / "run" / "norm_ablation.png").is_file()


def test_deep_residual_keeps_the_gradient_alive(tmp_path: Path) -> None:
    res = run_lab("10-deep-residual", out=tmp_path / "run").results
    with_res, without = res["with_residual"], res["without_residual"]
    assert without["grad_norm_layer1_final"] < 1e-4 * with_res["grad_norm_layer1_final"]
    # vanished: five orders of magnitude below its first step (how far below depends on the BLAS kernel's
    # rounding once Adam is dividing near-zero moments: 5e-7 and 2e-5 both seen from a first step near 10)
    assert without["grad_norm_layer1_final"] < 1e-5 * without["grad_norm_layer1"][0]
    assert with_res["grad_norm_layer1_final"] > 1e-3
    assert with_res["final_loss"] < 0.5 * with_res["first_loss"]
    assert without["final_loss"] > 0.6  # stalls near log 2
    assert len(with_res["grad_norm_layer1"]) == len(with_res["loss"])
    assert (tmp_path / "run" / "grad_norm.png").is_file()


def test_break_10_detects_the_vanishing_gradient(tmp_path: Path) -> None:
    outcome = run_break(10, out=tmp_path / "break").outcome
    assert outcome.detected, outcome.symptom
    assert outcome.broken["grad_norm_layer1_final"] < outcome.healthy["grad_norm_layer1_final"]
