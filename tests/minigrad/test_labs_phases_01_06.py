"""Every phase 01-06 lab runs at its smoke size and produces the numbers it promises; every break is caught.

Timing labs are checked for structure and for orderings that hold on any machine by a wide margin (BLAS
beats a Python triple loop), never for absolute times.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lynx_cortex.labkit import MODE_ENV
from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODE_ENV, "smoke")


def _run(lab_id: str, tmp_path: Path) -> dict[str, Any]:
    record = run_lab(lab_id, out=tmp_path / "run")
    files = {p.name for p in record.out_dir.iterdir()}
    assert {"manifest.json", "results.json"} <= files
    pngs = [p for p in record.out_dir.iterdir() if p.suffix == ".png"]
    assert pngs and all(p.stat().st_size > 10_000 for p in pngs)
    manifest = json.loads((record.out_dir / "manifest.json").read_text())
    assert manifest["config"]["name"] == lab_id
    text = (record.out_dir / "results.json").read_text()
    results: dict[str, Any] = json.loads(text, parse_constant=_reject)
    return results


def _reject(token: str) -> None:
    raise AssertionError(f"results.json is not strict JSON: found {token}")


def test_machine_profile(tmp_path: Path) -> None:
    r = _run("01-machine-profile", tmp_path)
    assert r["profile"]["logical_cpus"] >= 1
    assert (tmp_path / "run" / "profile.md").read_text().startswith("# Machine profile")


def test_memory_bandwidth(tmp_path: Path) -> None:
    r = _run("01-memory-bandwidth", tmp_path)
    assert [row["size_kib"] for row in r["rows"]] == [
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
        2048,
        4096,
    ]
    assert all(row["bytes_per_copy"] == 2 * row["size_kib"] * 1024 for row in r["rows"])
    assert r["peak_gb_per_s"] == max(row["gb_per_s"] for row in r["rows"]) > 0
    assert r["cache_to_dram_ratio"] == pytest.approx(r["peak_gb_per_s"] / r["dram_gb_per_s"])


def test_cache_stride(tmp_path: Path) -> None:
    r = _run("01-cache-stride", tmp_path)
    assert [row["stride_elems"] for row in r["rows"]] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    # A new 64-byte line per element (stride 256 = 1 KiB) costs more than streaming: a wide margin holds.
    assert r["rows"][-1]["ns_per_access"] > 2 * r["rows"][0]["ns_per_access"]


def test_roofline_records_measured_ceilings(tmp_path: Path) -> None:
    r = _run("01-roofline", tmp_path)
    assert r["peak_gflops"]["fp32"] > 0 and r["peak_gflops"]["fp64"] > 0
    assert r["bandwidth_gb_per_s"] > 0
    assert r["ridge_flop_per_byte"] == pytest.approx(
        r["peak_gflops"]["fp32"] / r["bandwidth_gb_per_s"]
    )
    kernels = {k["kernel"].split(" ")[0]: k for k in r["kernels"]}
    assert set(kernels) == {"dot", "softmax", "decode", "naive", "BLAS"}
    assert kernels["BLAS"]["gflops"] > 20 * kernels["naive"]["gflops"]
    assert kernels["dot"]["intensity"] == 0.25


def test_float_decode(tmp_path: Path) -> None:
    r = _run("02-float-decode", tmp_path)
    assert r["one_over_600"] | {"stored": 0, "error": 0} == {
        "hex": "0x3ADA740E",
        "sign": 0,
        "exponent": 117,
        "mantissa": 5927950,
        "stored": 0,
        "error": 0,
    }
    assert r["point1_plus_point2_equals_point3_fp64"] is False
    kinds = {row["label"]: row["kind"] for row in r["rows"]}
    assert kinds["NaN"] == "nan" and kinds["1e-40 (subnormal)"] == "subnormal"


def test_softmax_stability(tmp_path: Path) -> None:
    r = _run("02-softmax-stability", tmp_path)
    assert r["naive_nan_cases"] >= 2
    assert r["stable_nan_cases"] == 0
    rows = {row["case"]: row for row in r["rows"]}
    assert rows["all identical"]["stable"]["cross_entropy_target"] == pytest.approx(
        1.6094379, rel=1e-6
    )
    assert rows["masked entry"]["stable"]["sum"] == pytest.approx(1.0)


def test_kahan(tmp_path: Path) -> None:
    r = _run("02-kahan", tmp_path)
    assert r["stall"]["results"]["naive loop (fp32)"] == 2**24
    assert r["stall"]["results"]["kahan (fp32)"] == r["stall"]["expected"]
    assert r["naive_over_kahan_error_at_largest_n"] > 10


def test_int8_roundtrip(tmp_path: Path) -> None:
    r = _run("02-int8-roundtrip", tmp_path)
    probs, hidden = r["reports"]["verb_probs"]["symmetric"], r["reports"]["hidden"]["symmetric"]
    assert (
        probs["mean_rel_error"] > 5 * hidden["mean_rel_error"]
    )  # small probabilities lose precision
    assert hidden["max_abs_error"] <= hidden["scale"] / 2 * (1 + 1e-5)


def test_einsum_shapes(tmp_path: Path) -> None:
    r = _run("03-einsum-shapes", tmp_path)
    assert r["total"] == 20 and r["passed"] == 20


def test_matmul_performance(tmp_path: Path) -> None:
    r = _run("03-matmul-performance", tmp_path)
    assert all(r["agrees_with_A_at_B"].values())
    assert r["blas_over_naive_at_largest_python_n"]["ratio"] > 10
    assert set(r["gflops"]) >= {"BLAS (A @ B, 1 thread)", "BLAS (A @ B, all threads)"}
    assert "kernel" in r["blas"]


def test_svd_count_matrix(tmp_path: Path) -> None:
    r = _run("03-svd-count-matrix", tmp_path)
    assert r["shape"] == [20, 15]
    assert all(row["eckart_young_holds"] for row in r["rows"])
    energies = [row["captured_energy"] for row in r["rows"]]
    assert energies == sorted(energies) and energies[-1] == pytest.approx(1.0)
    assert energies[0] > 0.7  # one "general frequency" direction dominates
    assert r["storage_break_even_k"] == 8


def test_norm_ratios(tmp_path: Path) -> None:
    r = _run("03-norm-ratios", tmp_path)
    assert r["bound_holds"] and r["ratios"]["max"] < 1.0
    assert r["ratios"]["at_top_singular_vector"] == pytest.approx(1.0, abs=1e-9)
    assert r["sigma_max_power_iteration"] == pytest.approx(r["sigma_max_svd"], rel=1e-9)


def test_rosenbrock_race(tmp_path: Path) -> None:
    r = _run("04-rosenbrock-race", tmp_path)
    assert r["adamw_wd0_equals_adam_max_diff"] == 0.0
    final = r["final"]
    assert (
        final["Adam (lr 5e-2)"]["distance_to_minimum"]
        < final["SGD (lr 2e-3)"]["distance_to_minimum"]
    )


def test_lr_schedules(tmp_path: Path) -> None:
    r = _run("04-lr-schedules", tmp_path)
    warm = r["values_at"]["warmup + cosine (phase 18 default)"]
    assert warm["0"] == 0.0 and warm["500"] == 1.0 and warm["10000"] == 0.0
    assert len(r["values_at"]) == 6


def test_calibration(tmp_path: Path) -> None:
    r = _run("05-calibration", tmp_path)
    assert r["accuracy"]["test"] >= 0.70
    assert r["temperature"] > 1.0 and r["overconfident"]
    assert r["ece_after"] < r["ece_before"]
    assert r["test_nll_after"] <= r["test_nll_before"] + 1e-3


def test_broadcasting_trap(tmp_path: Path) -> None:
    r = _run("06-broadcasting-trap", tmp_path)
    assert r["error_shape"] == [10, 10]
    assert r["fixes_agree"] and r["mse_fixes"]["squeeze the target"] == pytest.approx(
        0.01, rel=1e-5
    )
    assert r["mse_trap"] > 100 * r["mse_fixes"]["squeeze the target"]
    assert r["catalog_predictions_held"] == len(r["catalog"])


def test_strides_views(tmp_path: Path) -> None:
    r = _run("06-strides-views", tmp_path)
    assert r["example_3x4_int32"] == {
        "strides": [16, 4],
        "T_strides": [4, 16],
        "byte_offset_of_2_1": 36,
    }
    assert r["aliasing"]["a_after_writing_b0"] == [-999, 1, 2, 3]  # the write went through the view
    assert r["aliasing"]["a_after_writing_copy"] == 2  # the copy did not
    assert r["view_flags_at_largest"] == {
        "T_base_is_a": True,
        "T_c_contiguous": False,
        "contiguous_copy_base_is_a": False,
        "contiguous_copy_c_contiguous": True,
    }
    assert r["copy_over_view_at_largest"] > 1.0


def test_vectorization_budget(tmp_path: Path) -> None:
    r = _run("06-vectorization-budget", tmp_path)
    assert [row["n"] for row in r["rows"]] == [2**k for k in range(4, 13)]
    assert r["rows"][-1]["speedup"] > 3  # 4096 elements: NumPy wins by far on any machine


@pytest.mark.parametrize("phase", [1, 2, 3, 4, 5, 6])
def test_breaks_are_detected(phase: int, tmp_path: Path) -> None:
    record = run_break(phase, out=tmp_path / "break")
    assert record.outcome.detected, record.outcome.symptom
    results = json.loads((record.out_dir / "results.json").read_text(), parse_constant=_reject)
    assert results["detected"] is True and results["healthy"] != results["broken"]
