"""Each lab and break of phases 13-16, run at smoke size through the real runner, judged on its numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lynx_cortex.runner import run_break, run_lab
from minimodel.baseline import read_baseline
from minimodel.data import load_tokenizer


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_cbow_falls_below_the_seed_bar(tmp_path: Path) -> None:
    record = run_lab("13-cbow", out=tmp_path / "run")
    res = record.results
    vocab = load_tokenizer().vocab_size
    assert res["initial_loss"] == pytest.approx(math.log(vocab), abs=0.05)
    assert res["final_loss"] < 2.5 < res["epoch_losses"][0]
    assert res["effective_rank_final"] < res["effective_rank_init"]
    assert res["tense_probe"]["heldout_accuracy"] >= 0.7
    assert set(res["nearest_work_cosine"]).isdisjoint({"<|pad|>", "<|unk|>"})
    for name in ("loss_curve.png", "pca_scatter.png", "cosine_heatmap.png", "embeddings.npy"):
        assert (record.out_dir / name).stat().st_size > 0
    table = np.load(record.out_dir / "embeddings.npy", allow_pickle=False)
    assert table.shape == (vocab, 32)


def test_ngram_baseline_records_best_n_and_alpha(tmp_path: Path) -> None:
    record = run_lab("14-ngram-baseline", out=tmp_path / "run")
    res = record.results
    best = res["best"]
    assert best["val_perplexity"] == min(best["grid"].values())
    assert best["n"] in (1, 2, 3) and best["alpha"] in (0.01, 0.1)
    assert (
        best["val_perplexity"] < res["perplexity_by_n"]["1"]["val"] < load_tokenizer().vocab_size
    )  # context helps; beats uniform
    for n, row in res["perplexity_by_n"].items():
        assert row["train"] <= row["val"], n  # the held-out (verb, tense) keys are harder
    saved = read_baseline(record.out_dir / "ngram_baseline.json")
    assert (saved.n, saved.alpha) == (best["n"], best["alpha"])
    assert len(res["probes"]) == res["probe_count"] == 5
    assert all(len(p["top5_n3"]) == 5 for p in res["probes"].values())
    assert (record.out_dir / "perplexity_vs_n.png").stat().st_size > 0


def test_rnn_by_hand(tmp_path: Path) -> None:
    record = run_lab("14-rnn-by-hand", out=tmp_path / "run")
    res = record.results
    assert res["hand_exercise"]["max_diff_vs_hand"] < 1e-12
    assert res["hand_exercise"]["h1"][0] == pytest.approx(math.tanh(1.0))
    assert {len(v) for v in res["hidden_norms"].values()} == {res["tokens"]}
    assert "=== GRU" in (record.out_dir / "walkthrough.txt").read_text(encoding="utf-8")


def test_vanishing_gradient(tmp_path: Path) -> None:
    res = run_lab("14-vanishing-gradient", out=tmp_path / "run").results
    rates = res["orders_per_10_steps"]
    assert rates["rnn"] > 1.0  # the vanilla RNN loses more than a decade every 10 steps
    assert rates["rnn"] > rates["gru"]
    assert all(ratio < 1e-2 for ratio in res["first_over_last"].values())


def test_attention_by_hand(tmp_path: Path) -> None:
    res = run_lab("15-attention-by-hand", out=tmp_path / "run").results
    toy = res["toy_two_tokens"]
    assert toy["max_abs_diff_hand_vs_code"] < 1e-12
    np.testing.assert_allclose(toy["unscaled_row0"], [0.27, 0.73], atol=5e-3)
    np.testing.assert_allclose(toy["unscaled_output_row0"], [0.54, 2.19], atol=5e-3)
    weights, out = np.array(res["length4"]["weights"]), np.array(res["length4"]["output"])
    np.testing.assert_allclose(
        weights[1, :2], [0.491, 0.509], atol=5e-4
    )  # the seed printed 0.489 / 0.511
    np.testing.assert_allclose(out[3], [0.151, 0.149, 0.125, 0.026], atol=5e-4)
    np.testing.assert_allclose(out[0], [0.5, 0.3, -0.2, 0.1])
    assert res["saturation_d_k_64"]["unscaled"]["mean_max_weight"] > 0.8
    assert res["single_head_equivalence_max_diff"] < 1e-12
    assert res["causal_perturbation"]["earlier_max_diff"] < 1e-8
    assert res["causal_perturbation"]["last_max_diff"] > 1e-3
    assert res["post_softmax_mask_perturbation"]["earlier_max_diff"] > 1e-3


def test_attention_profile(tmp_path: Path) -> None:
    record = run_lab("15-attention-profile", out=tmp_path / "run")
    res = record.results
    assert res["score_bytes"]["32"] == 4 * res["score_bytes"]["16"]
    assert all(v > 0 for stage in res["seconds"].values() for v in stage.values())
    assert (record.out_dir / "profile.png").stat().st_size > 0


def test_permutation_equivariance(tmp_path: Path) -> None:
    gaps = run_lab("16-permutation-equivariance", out=tmp_path / "run").results["max_diff"]
    assert gaps["no_positions"] < 1e-6
    assert gaps["sinusoidal"] > 1e-3 and gaps["rope"] > 1e-3


def test_rope_relative(tmp_path: Path) -> None:
    res = run_lab("16-rope-relative", out=tmp_path / "run").results
    assert res["relative_position_max_diff"] < 1e-5
    assert max(res["norm_preservation_abs_diff"].values()) < 1e-6
    assert res["sinusoidal_shift_max_diff"] < 1e-5


def test_extrapolation(tmp_path: Path) -> None:
    record = run_lab("16-extrapolation", out=tmp_path / "run")
    res = record.results
    assert res["learned_rows_past_table_identical"] is True
    for values in res["mean_row_entropy"].values():
        assert all(0 < v < math.log(int(t)) for t, v in values.items())
    assert (record.out_dir / "attention_patterns.png").stat().st_size > 0


@pytest.mark.parametrize("phase", [13, 14, 15, 16])
def test_breaks_are_detected(phase: int, tmp_path: Path) -> None:
    outcome = run_break(phase, out=tmp_path / "run").outcome
    assert outcome.detected, outcome.symptom
