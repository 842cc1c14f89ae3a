"""Phase 27's labs and break through the real runner, at smoke size, judged on their numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_flash_reference_lab(tmp_path: Path) -> None:
    record = run_lab("27-flash-reference", out=tmp_path / "run")
    res = record.results
    assert res["equal_to_1e-6"] is True
    # measured, not computed: the naive forward's peak grows ~T², the tiled one's ~T
    assert res["naive_peak_slope"] > 1.6
    assert res["flash_peak_slope"] < 1.3
    assert res["peak_ratio_at_longest"] > 2
    assert (record.out_dir / "flash_peak_memory.png").stat().st_size > 5_000


def test_gqa_kv_bytes_lab(tmp_path: Path) -> None:
    res = run_lab("27-gqa-kv-bytes", out=tmp_path / "run").results
    assert res["matches_formula"] is True
    per_token = {name: row["bytes_per_token"] for name, row in res["variants"].items()}
    assert per_token == {"mha": 1024, "gqa-2": 512, "mqa-kv1": 256}  # the seed's table
    assert res["variants"]["mha"]["measured_kv_bytes"] == 65_536  # 64 KiB at 64 positions
    assert res["variants"]["mqa-kv1"]["params_saved_vs_mha"] == 2 * 2 * 3 * 16 * 64
    assert res["published"]["LLaMA-7B (MHA)"]["kib_per_token_fp16"] == 512
    assert res["published"]["LLaMA-2-70B (GQA-8)"]["kib_per_token_fp16"] == 320


def test_paged_kv_lab(tmp_path: Path) -> None:
    res = run_lab("27-paged-kv", out=tmp_path / "run").results
    assert res["paged_equals_contiguous"] is True
    sweep = res["block_sizes"]
    assert sweep["1"]["fragmentation"] == 0.0
    frag = [sweep[b]["fragmentation"] for b in ("1", "4", "16", "64")]
    assert frag == sorted(frag)  # bigger blocks, bigger tails
    assert (
        sweep["16"]["requests_in_contiguous_budget"] > res["requests"]
    )  # paging fits more requests
    fork = res["fork"]
    assert fork["blocks_used"] == 7 + 4 * 2 < fork["blocks_without_sharing"] == 7 + 4 * 8
    assert fork["logical_tokens"] == 100 + 4 * 120


def test_break_27_rescale_dropped(tmp_path: Path) -> None:
    outcome = run_break(27, out=tmp_path / "run").outcome
    assert outcome.detected is True
    drift = outcome.broken["lse_drift"]
    assert abs(drift[0]) < 1e-9 and drift == sorted(drift) and drift[-1] > 0.1
    assert max(outcome.healthy["mean_abs_error"]) < 1e-9 < outcome.broken["mean_abs_error"][-1]
