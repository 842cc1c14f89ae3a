"""Lab 20-eval-report: `lynx eval` on the shipped grammar checkpoint, through the lab runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lynx_cortex.runner import run_lab
from minieval.labs.phase20_eval_report import REPORT_DIR
from minieval.report import SECTIONS


@pytest.mark.slow
def test_eval_report_on_the_shipped_checkpoint(tmp_path: Path) -> None:
    record = run_lab("20-eval-report", out=tmp_path / "run", seed=0)
    report = tmp_path / "run" / REPORT_DIR
    text = (report / "REPORT.md").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.startswith("## ")] == list(SECTIONS)
    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    res = record.results
    assert res["core_accuracy"] == data["accuracy"]["accuracy"]
    lo, hi = res["core_wilson"]
    assert 0.0 <= lo <= res["core_accuracy"] <= hi <= 1.0
    assert set(res["perplexity"]) == {"val", "test"}
    assert all(1.0 < ppl < 512 for ppl in res["perplexity"].values())
    assert f"{REPORT_DIR}/reliability.png" in res["files"]
