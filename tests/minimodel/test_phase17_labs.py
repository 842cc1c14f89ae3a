"""Phase 17's labs and break through the real runner, at smoke size, judged on their numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab
from minimodel.labs.phase17_mini_gpt import component_of


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_param_inventory_lab(tmp_path: Path) -> None:
    record = run_lab("17-param-inventory", out=tmp_path / "run")
    res = record.results
    assert res["all_match_closed_form"] is True
    totals = {label.split(" (")[0]: row["total"] for label, row in res["configs"].items()}
    assert totals["seed 103,680"] == 103_680
    assert totals["seed 131,392"] == 131_392
    assert totals["tiny"] == 165_120  # the shipped V=1024, LayerNorm and FFN biases
    seed = next(r for label, r in res["configs"].items() if label.startswith("seed 103,680"))
    assert seed["components"]["FFN"] == 2 * 33_088
    assert seed["ffn_share"] == pytest.approx(0.638, abs=0.001)  # the seed's "~64% of the total"
    assert res["scaling_closed_form"]["medium d128 L4"] == 799_488
    assert res["scaling_closed_form"]["large d256 L6"] == 4_749_312
    assert res["scaling_closed_form"]["GPT-2 small shape (no positional table)"] == 123_616_512
    with (record.out_dir / "inventory.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    seed_rows = [r for r in rows if r["config"].startswith("seed 103,680")]
    assert sum(int(r["count"]) for r in seed_rows) == 103_680
    assert (record.out_dir / "distribution.png").stat().st_size > 10_000


def test_component_of_rejects_unknown_names() -> None:
    assert component_of("blocks.1.ffn.fc2.bias") == "FFN"
    with pytest.raises(ValueError, match="no known MiniGPT component"):
        component_of("mystery.weight")


def test_causality_lab(tmp_path: Path) -> None:
    record = run_lab("17-causality", out=tmp_path / "run")
    res = record.results
    assert res["causal_holds"] is True and res["broken_variant_caught"] is True
    assert res["causal"]["max_earlier_change"] < 1e-8
    assert res["causal"]["positions_leaking"] == 0
    assert res["no_mask"]["positions_leaking"] == res["tokens"] - 1  # every position but the last
    assert (record.out_dir / "perturbation.png").stat().st_size > 10_000


def test_break_17_no_causal_mask(tmp_path: Path) -> None:
    record = run_break(17, out=tmp_path / "run")
    outcome = record.results
    assert outcome["detected"] is True
    assert outcome["healthy"]["max_earlier_change"] < 1e-8 < outcome["broken"]["max_earlier_change"]
    healthy, broken = outcome["healthy"], outcome["broken"]
    # causal: the same loss whether or not the future is visible; leaky: teacher forcing flatters it
    assert healthy["val_loss_teacher_forced"] == pytest.approx(
        healthy["val_loss_prefix_only"], abs=1e-9
    )
    assert broken["val_loss_prefix_only"] - broken["val_loss_teacher_forced"] > 0.1
    assert broken["positions_leaking"] == 11  # every probe position but the last (smoke length 12)
