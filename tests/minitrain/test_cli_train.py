"""`lynx train` / `lynx sample` end to end on a short run of the real corpus and MiniGPT."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from minimodel.baseline import corpus_baseline
from minitrain.metrics import read_metrics


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("train") / "run"
    result = CliRunner().invoke(
        cli, ["train", "--config", "tiny", "--steps", "12", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "n-gram baseline" in result.output
    return out


def test_run_folder_has_every_artifact(run_dir: Path) -> None:
    for name in ("metrics.jsonl", "dashboard.html", "summary.json", "manifest.json"):
        assert (run_dir / name).is_file(), name
    for sub in ("checkpoint", "best"):
        assert sorted(p.name for p in (run_dir / sub).iterdir()) == [
            "model.safetensors",
            "optimizer.safetensors",
            "state.json",
        ]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "checkpoint/model.safetensors" in manifest["artifacts"]
    assert manifest["config"]["train"]["steps"] == 12


def test_summary_reports_both_perplexities_on_the_same_split(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["ngram_val_perplexity"] == pytest.approx(corpus_baseline().val_perplexity)
    # The seeded 12-step run; re-runs repeat it, and rel=1e-6 leaves room for other BLAS builds only.
    assert summary["val_perplexity"] == pytest.approx(881.07738, rel=1e-6)
    assert summary["val_loss"] == pytest.approx(math.log(881.07738), rel=1e-6)
    assert summary["beats_baseline"] is False  # 440 against the n-gram's 38.11 after 12 steps
    assert summary["steps"] == 12
    evals = [r for r in read_metrics(run_dir / "metrics.jsonl") if r["kind"] == "eval"]
    assert min(r["val_loss"] for r in evals) == pytest.approx(summary["val_loss"], rel=1e-6)
    assert set(summary["val_perplexity_by_class"]) == {"regular", "irregular"}


def test_resuming_a_finished_run_changes_nothing(run_dir: Path) -> None:
    before = read_metrics(run_dir / "metrics.jsonl")
    result = CliRunner().invoke(cli, ["train", "--resume", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    assert read_metrics(run_dir / "metrics.jsonl") == before
    assert json.loads((run_dir / "summary.json").read_text())["resumed"] is True


def test_sample_continues_a_prompt(run_dir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["sample", str(run_dir), "he work", "--max-new-tokens", "5", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert 1 <= len(payload["ids"]) <= 5


def test_bad_input_is_one_line(run_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    taken = runner.invoke(cli, ["train", "--out", str(run_dir), "--steps", "3"])
    assert taken.exit_code == 2 and "not empty" in taken.output
    missing = runner.invoke(cli, ["train", "--resume", str(tmp_path)])
    assert missing.exit_code == 2 and "no checkpoint/" in missing.output
    nothing = runner.invoke(cli, ["sample", str(tmp_path / "nope"), "hi"])
    assert nothing.exit_code == 2 and "nope does not exist" in nothing.output
