"""19-spike-injection and 19-designed-failures at smoke size, judged on their numbers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lynx_cortex.runner import run_lab
from minitrain.labs.phase19_failures import FAILURES, diagnose
from minitrain.labs.phase19_spikes import recovery_steps


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_recovery_steps_by_hand() -> None:
    ref = [1.0] * 10
    # spike at step 3: excess 2, 1, 0.5 then back to the reference from step 6
    loss = [1.0, 1.0, 3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert recovery_steps(loss, ref, 3, window=1, tolerance=0.05) == 3
    # 2-step windows starting at S, S+1, S+2 average 1.5, 0.75, 0.25: the one at S+2 is the first within 0.3
    assert recovery_steps(loss, ref, 3, window=2, tolerance=0.3) == 2
    assert recovery_steps(ref, ref, 3) == 0
    drifting = loss[:-1] + [2.0]  # recovers, then leaves again at the end: not recovered
    assert recovery_steps(drifting, ref, 3, window=1) is None
    with pytest.raises(ValueError, match="spike_step"):
        recovery_steps(loss, ref, 11)


def test_spike_injection_clipping_absorbs_the_spike(tmp_path: Path) -> None:
    record = run_lab("19-spike-injection", out=tmp_path / "run")
    res = record.results
    clipped, unclipped = res["clipped"], res["unclipped"]
    # the injected gradient is `scale` times an ordinary one
    ratio = clipped["grad_norm_pre_at_spike"] / clipped["reference_grad_norm_at_spike"]
    assert ratio == pytest.approx(res["scale"], rel=1e-3)
    assert clipped["grad_norm_post_at_spike"] == pytest.approx(1.0)
    assert unclipped["grad_norm_post_at_spike"] == unclipped["grad_norm_pre_at_spike"]
    assert clipped["recovery_steps"] is not None and clipped["recovery_steps"] <= 2
    assert (
        unclipped["recovery_steps"] is None
        or unclipped["recovery_steps"] > clipped["recovery_steps"]
    )
    assert unclipped["peak_loss_excess"] > 0.3 > abs(clipped["peak_loss_excess"])
    assert unclipped["final_val_loss"] > clipped["final_val_loss"]
    assert (record.out_dir / "spike_injection.png").stat().st_size > 0


def test_diagnose_reads_only_the_panels() -> None:
    healthy = {
        "p4_block_activation_step0": 1.0,
        "p2_lr_step1_over_max": 0.01,
        "p1_final_val_loss": 3.0,
    }
    assert diagnose({**healthy, "p4_block_activation_step0": 50.0}, healthy)[0] == "bad-init"
    assert diagnose({**healthy, "p2_lr_step1_over_max": 1.0}, healthy)[0] == "no-warmup"
    assert diagnose({**healthy, "p1_final_val_loss": 1.0}, healthy)[0] == "broken-mask"
    assert diagnose(healthy, healthy)[0] == "healthy"


def test_designed_failures_are_told_apart_blind(tmp_path: Path) -> None:
    record = run_lab("19-designed-failures", out=tmp_path / "run")
    res = record.results
    table = {row["actual"]: row for row in res["table"]}
    assert set(table) == set(FAILURES)
    assert {row["run"] for row in res["table"]} == {"run_A", "run_B", "run_C"}
    # the step-0 and step-1 failures are visible after any number of steps
    assert table["bad-init"]["correct"] and table["no-warmup"]["correct"]
    stats = res["panel_stats"]
    bad = stats[table["bad-init"]["run"]]
    assert bad["p1_initial_val_loss"] > 2 * stats["healthy"]["p1_initial_val_loss"]
    assert stats[table["no-warmup"]["run"]]["p2_lr_step1_over_max"] == pytest.approx(1.0)
    assert res["score"] == sum(row["correct"] for row in res["table"])
    assert (record.out_dir / "designed_failures.png").stat().st_size > 0


@pytest.mark.slow
def test_designed_failures_all_three_after_a_longer_run(tmp_path: Path) -> None:
    record = run_lab(
        "19-designed-failures", out=tmp_path / "run", config={"steps": 200, "eval_every": 50}
    )
    res = record.results
    assert res["score"] == 3, res["table"]
    mask = next(r for r in res["table"] if r["actual"] == "broken-mask")
    assert math.isfinite(res["panel_stats"][mask["run"]]["p1_final_val_loss"])
