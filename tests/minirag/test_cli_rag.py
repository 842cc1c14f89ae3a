from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from lynx_cortex.cli import cli

from .conftest import FIXTURE_KB, FIXTURE_QUERIES


def test_ask_json_has_the_four_keys_and_cites_a_retrieved_chunk(built: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "rag",
            "ask",
            "what is the past participle of eat?",
            "--json",
            "--index",
            str(built),
            "--k",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"query", "retrieved", "answer", "cited_chunks"}
    assert len(out["retrieved"]) == 3 and re.search(r"\beaten\b", out["answer"])
    assert set(out["cited_chunks"]) <= {r["chunk_id"] for r in out["retrieved"]}


def test_ask_without_an_index_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["rag", "ask", "x", "--index", str(tmp_path)])
    assert result.exit_code == 2
    assert "lynx rag index" in result.output and "Traceback" not in result.output


def test_index_then_eval_writes_report_and_metrics(tmp_path: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(
        cli,
        ["rag", "index", "--kb", str(FIXTURE_KB), "--out", str(tmp_path / "idx"), "--steps", "40"],
    )
    assert built.exit_code == 0, built.output
    assert {p.name for p in (tmp_path / "idx").iterdir()} == {
        "biencoder.json",
        "biencoder.safetensors",
        "index.json",
        "index.safetensors",
        "manifest.json",
    }
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["seed"] == 0 and set(manifest["artifacts"]) >= {
        "index.safetensors",
        "biencoder.safetensors",
    }
    ran = runner.invoke(
        cli,
        [
            "rag",
            "eval",
            "--index",
            str(tmp_path / "idx"),
            "--queries",
            str(FIXTURE_QUERIES),
            "--out",
            str(tmp_path / "ev"),
        ],
    )
    assert ran.exit_code == 0, ran.output
    for mode in ("bm25", "dense", "hybrid"):
        assert re.search(rf"^\| {mode} \| \d+\.\d \[\d+\.\d, \d+\.\d\]", ran.output, re.MULTILINE)
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    # The fixture query folder has no split.json: everything is one "all" split, and the goals are judged on it.
    assert set(metrics["splits"]) == {"all"} and metrics["goals_on"] == "all"
    assert metrics["splits"]["all"]["faithfulness"]["hybrid"]["hallucinated_citations"] == 0
    assert {g["goal"] for g in metrics["goals"]} >= {"0 hallucinated citations"}
    assert (tmp_path / "ev" / "REPORT.md").read_text().startswith("# Phase 29")
