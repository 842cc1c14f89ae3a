"""`lynx bench`: the figures are picked from the labs' own results, judged against their goals, and reported."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lynx_cortex import bench
from lynx_cortex.cli import cli
from lynx_cortex.errors import LynxError
from lynx_cortex.labkit import MODE_ENV
from lynx_cortex.runner import RunRecord

RESULTS: dict[str, dict[str, Any]] = {
    "18-throughput": {"configs": {"tiny": {"minigrad_time_over_torch": 0.7}, "grammar": {"x": 1}}},
    "22-decode-speed": {
        "runs": {"B=1": {"array_over_torch": 0.4}, "B=4": {"array_over_torch": 2.0}}
    },
    "08-autograd-speed": {"ratios": {"speedup_vs_micrograd": 1.9, "overhead_vs_torch": 1.04}},
    "11-bpe-speed": {
        "train_time_ratio_ours_over_hf": 1.1,
        "encode_time_ratio_ours_cold_over_hf": 0.8,
    },
    "41-portal-throughput": {"portal_pages_per_s": 1200.0, "portal_page_p95_ms": 9.0},
    "41-portal-load": {"routes": {"login": {"p95_ms": 250.0}}},
}


@pytest.fixture
def fake_labs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """Stand-in labs: record the id and the mode each ran under, return the canned results."""
    calls: list[tuple[str, str | None]] = []

    def run_lab(lab_id: str, *, out: Path, seed: int) -> RunRecord:
        calls.append((lab_id, os.environ.get(MODE_ENV)))
        out.mkdir(parents=True)
        return RunRecord(out, RESULTS[lab_id])

    monkeypatch.setattr(bench, "run_lab", run_lab)
    return calls


def test_figures_are_picked_and_judged(
    fake_labs: list[tuple[str, str | None]], tmp_path: Path
) -> None:
    summary = bench.run_bench(tmp_path, quick=True, seed=1)
    assert [lab for lab, _ in fake_labs] == list(dict.fromkeys(f.lab for f in bench.FIGURES))
    assert {mode for _, mode in fake_labs} == {"smoke"} and MODE_ENV not in os.environ
    assert summary["train_step_ratio_vs_torch"] == {
        "tiny": 0.7
    }  # rows without the field are skipped
    assert summary["kv_decode_ratio_vs_torch"] == {"B=1": 0.4, "B=4": 2.0}
    assert summary["portal_postgresql_over_sqlite"] is None  # no PostgreSQL in that run
    verdicts = summary["verdicts"]
    assert verdicts["train_step_ratio_vs_torch"] == "met"
    assert verdicts["kv_decode_ratio_vs_torch"] == "not met"  # every case must meet the goal
    assert verdicts["portal_pages_per_s"] == "met" and verdicts["login_p95_ms"] == "met"
    assert (
        verdicts["scalar_speedup_vs_micrograd"] == ""
        and verdicts["portal_postgresql_over_sqlite"] == ""
    )
    assert json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["quick"] is True
    assert summary["machine"]["cores"] >= 1 and len(summary["load_average_before"]) == 3


def test_the_report_has_a_before_column_from_a_baseline(
    fake_labs: list[tuple[str, str | None]], tmp_path: Path
) -> None:
    summary = bench.run_bench(tmp_path / "now", quick=False, seed=1, labs=["41-portal-throughput"])
    assert fake_labs == [("41-portal-throughput", "default")]
    text = bench.render_markdown(summary, {"portal_pages_per_s": 395.0})
    row = next(line for line in text.splitlines() if line.startswith("| `portal_pages_per_s`"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:] == ["395", "1,200", "≥ 1000", "met"]
    assert "| figure | what it measures | before | now | goal | verdict |" in text
    assert "train_step_ratio" not in text  # only the labs that ran


def test_an_unknown_lab_is_refused_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(LynxError, match="not a benchmark lab: 99-nope"):
        bench.run_bench(tmp_path, quick=True, seed=1, labs=["99-nope"])


def test_lynx_bench_json_prints_one_object(
    fake_labs: list[tuple[str, str | None]], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["bench", "--quick", "--json", "--lab", "11-bpe-speed", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["bpe_encode_time_ratio_vs_hf"] == 0.8 and summary["labs"] == ["11-bpe-speed"]
    assert (out / "BENCHMARKS.md").is_file()
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2]", encoding="utf-8")
    bad = CliRunner().invoke(
        cli,
        [
            "bench",
            "--quick",
            "--lab",
            "11-bpe-speed",
            "--out",
            str(tmp_path / "b"),
            "--baseline",
            str(broken),
        ],
    )
    assert bad.exit_code == 2 and "not a bench.json" in bad.output
    assert not (tmp_path / "b").exists() and len(fake_labs) == 1  # refused before any lab ran
