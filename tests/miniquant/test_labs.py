"""Phase 26's lab and break at smoke size through the real runner, on the shipped checkpoint.

The lab test is the slowest of the package (a few seconds): it quantises the shipped 0.9 M-parameter tutor
four ways, writes and re-reads each GGUF-lite file and greedy-decodes 24 test sentences per scheme — the
end-to-end check that the Pareto table in the docs comes from working code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_pareto_lab_measures_every_scheme(tmp_path: Path) -> None:
    record = run_lab("26-pareto", out=tmp_path / "run", seed=0)
    res = record.results
    schemes = res["schemes"]
    assert set(schemes) == {
        "fp32",
        "int8-channel",
        "int4-g32",
        "gptq-int4-g32",
        "int8-channel+w8a8",
    }
    sizes = {n: schemes[n]["file_bytes"] for n in ("fp32", "int8-channel", "int4-g32")}
    assert (
        sizes["fp32"] > 3 * sizes["int8-channel"] / 1.2 > sizes["int4-g32"]
    )  # INT8 ≈ 0.29×, INT4 ≈ 0.2×
    assert all(schemes[n]["file_round_trip_exact"] for n in sizes)
    for name in sizes:
        c = schemes[name]["correction"]
        assert c["wilson_lo"] <= c["accuracy"] <= c["wilson_hi"] and c["n"] == res["rows"] == 24
        assert schemes[name]["perplexity"] >= 1.0
    # GPTQ moves the layers' outputs less than RTN on held-out activations (same bytes)
    assert res["goals"]["g32"]["gptq_vs_rtn_heldout_layer_loss"] < 0.8
    assert schemes["gptq-int4-g32"]["file_bytes"] == schemes["int4-g32"]["file_bytes"]
    assert res["goals"]["int8_channel_within_0_5pp"] is True
    assert all(np.isfinite(s["tokens_per_s"]) and s["tokens_per_s"] > 0 for s in schemes.values())
    assert (
        res["roofline"]["points"]["int4-g32"]["intensity"]
        > res["roofline"]["points"]["fp32"]["intensity"]
    )
    assert "| gptq-int4-g32 |" in (record.out_dir / "pareto.md").read_text(encoding="utf-8")
    for png in ("pareto.png", "roofline.png"):
        assert (record.out_dir / png).read_bytes()[:4] == b"\x89PNG"


def test_break_26_outlier_channel_collapses_per_tensor_int4(tmp_path: Path) -> None:
    record = run_break(26, out=tmp_path / "run")
    healthy, broken = record.outcome.healthy, record.outcome.broken
    assert record.outcome.detected
    assert (
        healthy["fp32_logit_gap_after_planting"] < 1e-3
    )  # the planted outlier changes nothing in FP32
    assert broken["zeroed_fraction"] > 0.9 > healthy["zeroed_fraction"]
    assert broken["correction"]["accuracy"] < 0.2
    assert healthy["correction"]["accuracy"] >= healthy["fp32_accuracy"] - 0.03


def test_gptq_toy_lab_helps_on_correlated_inputs_even_unseen(tmp_path: Path) -> None:
    res = run_lab("26-gptq-toy", out=tmp_path / "run", seed=0).results["runs"]
    for n in (64, 512):
        assert res[f"correlated/n={n}"]["ratio_calibration"] < 0.5
        assert res[f"correlated/n={n}"]["ratio_fresh_inputs"] < 0.5
    # isotropic inputs: GPTQ fits the calibration sample, which buys nothing on fresh inputs
    assert res["gaussian/n=64"]["ratio_calibration"] < 0.5
    assert res["gaussian/n=64"]["ratio_fresh_inputs"] > 1.0


def test_gguf_export_lab_round_trips_exactly(tmp_path: Path) -> None:
    pytest.importorskip("gguf", reason="the real-GGUF half of the lab needs the gguf package")
    files = run_lab("26-gguf-export", out=tmp_path / "run", seed=0).results["files"]
    assert set(files) == {"gguf-lite int8-channel", "gguf-lite int4-g32", "gguf Q4_0"}
    assert all(f["max_logit_diff_after_round_trip"] == 0.0 for f in files.values())
    assert files["gguf-lite int8-channel"]["vs_safetensors"] > 3.0
    assert files["gguf-lite int4-g32"]["vs_safetensors"] > 4.5
