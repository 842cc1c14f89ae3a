"""18-throughput and 18-mixed-precision at smoke size, judged on their numbers (never on absolute times)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_lab
from minitrain.labs import phase18_throughput


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_mixed_precision_drift_orders_fp16_below_bf16(tmp_path: Path) -> None:
    record = run_lab("18-mixed-precision", out=tmp_path / "run")
    res = record.results
    fp16, bf16 = res["fp16"], res["bf16"]
    for fmt in (fp16, bf16):
        errors = fmt["relative_error"]
        assert set(errors) >= {
            "embed_out",
            "block_0_out",
            "block_1_out",
            "final_norm_out",
            "logits",
        }
        # rounding each layer costs about one unit roundoff; nothing in a healthy model amplifies it 20×
        assert all(0 < e < 20 * fmt["unit_roundoff"] for e in errors.values())
        assert 0 < fmt["mean_logit_drift"] <= fmt["max_logit_drift"]
        assert abs(fmt["loss_drift"]) < 0.05
        assert fmt["top1_agreement"] > 0.95
    # 3 fewer mantissa bits: about 2³ = 8× the error
    assert 4 < res["bf16_over_fp16_logit_error"] < 16
    assert fp16["max_logit_drift"] < bf16["max_logit_drift"]
    assert (record.out_dir / "drift_per_layer.png").stat().st_size > 0


def test_throughput_reports_both_sides_from_the_same_run(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the PyTorch side of 18-throughput needs torch")
    record = run_lab("18-throughput", out=tmp_path / "run")
    res = record.results
    assert res["note"] is None and res["threads"] >= 1 and res["blas_kernel"]
    tiny = res["configs"]["tiny"]
    rates = tiny["tokens_per_s"]
    assert rates["minigrad"] > 0 and rates["torch"] > 0
    assert math.isfinite(tiny["torch_over_minigrad"])
    assert tiny["torch_over_minigrad"] == pytest.approx(rates["torch"] / rates["minigrad"])
    assert len(tiny["block_seconds"]["minigrad"]) == len(tiny["block_seconds"]["torch"]) == 2
    paired = np.array(tiny["block_seconds"]["minigrad"]) / np.array(tiny["block_seconds"]["torch"])
    assert tiny["minigrad_time_over_torch"] == pytest.approx(float(np.median(paired)))
    assert res["threads"] == 1 and res["torch"]["threads"] == 1
    assert (record.out_dir / "throughput.png").stat().st_size > 0


def test_throughput_without_torch_times_minigrad_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phase18_throughput, "torch_available", lambda: False)
    record = run_lab("18-throughput", out=tmp_path / "run")
    res = record.results
    assert "torch is not installed" in res["note"]
    tiny = res["configs"]["tiny"]
    assert set(tiny["tokens_per_s"]) == {"minigrad"} and tiny["tokens_per_s"]["minigrad"] > 0
    assert "torch_over_minigrad" not in tiny


def test_window_batches_are_full_windows_of_the_stream_with_shifted_targets() -> None:
    rows = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
    batches = phase18_throughput.window_batches(
        rows, count=3, batch_size=4, length=5, rng=np.random.default_rng(0)
    )
    stream = np.arange(1, 10)
    for batch in batches:
        assert batch.inputs.shape == batch.targets.shape == (4, 5)
        assert batch.n_tokens == 20
        np.testing.assert_array_equal(batch.targets[:, :-1], batch.inputs[:, 1:])
        for row, start in zip(batch.inputs, batch.rows, strict=True):
            np.testing.assert_array_equal(row, stream[start : start + 5])
    with pytest.raises(ValueError, match="fewer than one window"):
        phase18_throughput.window_batches(
            rows, count=1, batch_size=1, length=9, rng=np.random.default_rng(0)
        )
