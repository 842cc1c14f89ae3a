"""Lab 12-corpus-stats and break 12, run through the real runner."""

from __future__ import annotations

from pathlib import Path

from lynx_cortex.runner import run_break, run_lab


def test_corpus_stats_lab(tmp_path: Path) -> None:
    record = run_lab("12-corpus-stats", out=tmp_path / "run")
    results = record.results
    assert results["regeneration_identical"] is True
    assert results["total_correct"] == 280
    assert results["total_mis_conjugated"] >= 100
    assert results["error_types_used"] == 6
    assert results["checks_passed"] == results["checks_total"]
    assert results["default_keys_per_split"] == {"train": 96, "val": 12, "test": 12}
    assert results["heldout_keys_per_split"]["test"] == 24
    assert results["rows_per_verb_tense_min"] >= 1
    assert len(list((record.out_dir / "plots").glob("*.png"))) == 4
    assert (record.out_dir / "manifest.json").is_file()


def test_break_12_shuffled_labels_detected(tmp_path: Path) -> None:
    record = run_break(12, out=tmp_path / "run")
    outcome = record.outcome
    assert outcome.detected, outcome.symptom
    assert outcome.healthy["heldout_accuracy"] >= 0.7
    assert outcome.broken["heldout_accuracy"] <= outcome.broken["chance_accuracy"] + 0.1
    assert outcome.healthy["truth_table_failures"] == 0
    assert outcome.broken["truth_table_failures"] > 0
    assert outcome.broken["heldout_loss"] > outcome.healthy["heldout_loss"]
