"""Phase 28 labs and break at smoke size through the real runner, judged on their numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


# The lab tests take a few seconds each: they load and hash-check the shipped tutor, train a few steps and
# score real rows by greedy decoding, which is what they exist to check.
def test_lora_irregulars_lab(tmp_path: Path) -> None:
    record = run_lab("28-lora-irregulars", out=tmp_path / "run")
    res = record.results
    assert (
        res["before"]["target"]["exact_correction"]["value"] == 0.0
    )  # the base rewrites Sam's name
    assert res["before"]["control"]["exact_correction"]["value"] == 1.0
    assert res["base_unchanged"] is True
    assert res["merge_max_abs_gap"] < 1e-4  # float32 logits of size ~10
    assert res["trainable"] == 4 * 8 * (4 * 2 * 128 + 2 * (128 + 512))
    assert res["adapter_bytes"] < 0.1 * res["base_bytes"]
    assert (record.out_dir / "adapter.safetensors").is_file()
    assert "| target |" in (record.out_dir / "table.md").read_text(encoding="utf-8")


def test_rank_sweep_lab(tmp_path: Path) -> None:
    res = run_lab("28-rank-sweep", out=tmp_path / "run").results
    assert [r["rank"] for r in res["rows"]] == [1, 4]
    assert res["rows"][1]["trainable"] == 4 * res["rows"][0]["trainable"]


def test_qlora_preview_lab(tmp_path: Path) -> None:
    res = run_lab("28-qlora-preview", out=tmp_path / "run").results
    memory = res["memory_bytes"]
    # every projection of the shipped model has 128 or 512 inputs: blocks of 64, so per weight half a byte
    # of code plus 2 bytes of float16 scale per 64 weights, over 4 bytes of float32
    assert memory["nf4_base_projections"] / memory["float_base_projections"] == pytest.approx(
        (0.5 + 2 / 64) / 4
    )
    assert res["losses_finite"] is True
    assert 0 < res["logit_relative_diff"] < 0.5


def test_break_28_is_detected(tmp_path: Path) -> None:
    outcome = run_break(28, out=tmp_path / "run").outcome
    assert outcome.detected
    assert (
        outcome.broken["growth_first_to_last"]
        > 2.0
        >= 1.0
        >= outcome.healthy["growth_first_to_last"]
    )
