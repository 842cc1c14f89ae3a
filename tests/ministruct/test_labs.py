"""Phase 30's labs and break at smoke size through the real runner, judged on their numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_regex_mask_lab(tmp_path: Path) -> None:
    res = run_lab("30-regex-mask", out=tmp_path / "run").results
    assert res["all_match_regex"] is True and res["n_samples"] == 10
    assert res["free_match_rate"] < 1.0  # the control: the model alone does not write 4 digits
    textbook = res["stages"]["textbook (a|b)*abb"]
    assert textbook["minimal_states"] == 5  # 4 live states and the dead one
    for stage in res["stages"].values():
        assert (
            stage["nfa_states"] >= stage["minimal_states"]
            and stage["dfa_states"] >= stage["minimal_states"]
        )
    assert res["mean_neg_log_z_nats"] > 0  # the mask removes real probability mass


def test_json_schema_mask_lab(tmp_path: Path) -> None:
    record = run_lab("30-json-schema-mask", out=tmp_path / "run")
    res = record.results
    assert res["n_samples"] == res["n_parsed_ok"] == res["n_schema_valid"] == 10
    assert res["minimal_states"] < res["dfa_states"]
    assert res["kl_per_step_avg"] >= 0
    assert (record.out_dir / "allowed_per_state.png").read_bytes()[:4] == b"\x89PNG"


def test_mask_overhead_lab(tmp_path: Path) -> None:
    res = run_lab("30-mask-overhead", out=tmp_path / "run").results
    # per-token lookups against the seed's naive re-walk, measured in the same run: orders of magnitude apart
    assert res["naive_mask_us_per_token"] > 20 * res["ours_mask_us_per_token"]
    assert res["masked_step_ms"] > 0 and res["unmasked_step_ms"] > 0
    assert (
        res["outlines_installed"] is True
    )  # dev group: the oracle is there, so the comparison is too
    assert res["outlines_mask_us_per_token"] > 0


def test_constrained_vs_free_lab(tmp_path: Path) -> None:
    res = run_lab("30-constrained-vs-free", out=tmp_path / "run").results
    table = res["table"]
    assert res["masked_greedy_all_valid"] and res["masked_sampled_all_valid"]
    assert table["masked_greedy"]["invalid_rate"] == 0.0 == table["masked_sampled"]["invalid_rate"]
    assert (
        table["free_greedy"]["invalid_rate"] > 0.5
    )  # trained on the correction frame, not on JSON


def test_break_30_mask_after_sampling_leaks_invalid_json(tmp_path: Path) -> None:
    record = run_break(30, out=tmp_path / "run")
    outcome = record.results
    assert outcome["detected"] is True
    assert outcome["healthy"]["invalid_rate"] == 0.0
    assert outcome["broken"]["invalid_rate"] > 0.5
