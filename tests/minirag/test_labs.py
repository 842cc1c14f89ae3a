"""The phase-29 labs and break at smoke size, through the real runner, on the fixture KB."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab

from .conftest import FIXTURE_KB, FIXTURE_QUERIES

CONFIG = {"kb": str(FIXTURE_KB), "queries": str(FIXTURE_QUERIES)}


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def _png(path: Path) -> bool:
    return path.read_bytes()[:4] == b"\x89PNG"


def test_bm25_vs_dense(tmp_path: Path) -> None:
    record = run_lab("29-bm25-vs-dense", out=tmp_path / "run", config=CONFIG)
    res = record.results
    rows = res["retrievers"]["all"]  # the fixture query folder has no dev/test split
    assert set(rows) >= {"bm25, title x1", "structured (front matter)", "dense: bi-encoder"}
    for row in rows.values():
        assert 0 <= row["hit@1"] <= row["hit@3"] <= row["hit@5"] <= 1
    assert res["oracles"]["max_abs_diff_vs_rank_bm25"] < 1e-9
    assert res["oracles"]["queries_per_s"]["ours"] > 0
    assert _png(record.out_dir / "bm25_vs_dense.png")
    assert (record.out_dir / "index" / "biencoder.safetensors").is_file()


def test_hybrid_rrf(tmp_path: Path) -> None:
    res = run_lab("29-hybrid-rrf", out=tmp_path / "run", config=CONFIG).results
    modes = res["modes"]["all"]
    assert set(modes) >= {"bm25", "dense", "structured", "hybrid", "hybrid: BM25 + hashing"}
    assert set(res["rrf_k_sweep"]["all"]) == {"1", "60"}
    assert res["rrf_k_sweep"]["all"][str(60)] == modes["hybrid"]  # the default k is the hybrid row
    assert res["hybrid_gain_hit@3_pp"]["all"] == pytest.approx(
        100
        * (
            modes["hybrid"]["hit@3"]
            - max(modes[m]["hit@3"] for m in ("bm25", "dense", "structured"))
        )
    )


def test_e2e_faithfulness(tmp_path: Path) -> None:
    out = run_lab("29-e2e-faithfulness", out=tmp_path / "run", config=CONFIG).results
    res = out["splits"]["all"]
    for mode in ("bm25", "dense", "structured", "hybrid", "no retrieval"):
        assert res[mode]["hallucinated_citations"] == 0
    assert res["no retrieval"]["faithfulness"] == 0.0 < res["hybrid"]["faithfulness"]
    assert out["latency_ms"]["p95"] > 0


def test_index_scaling(tmp_path: Path) -> None:
    record = run_lab("29-index-scaling", out=tmp_path / "run")
    res = record.results
    exact = res["indexes"]["ours: flat"]["recall@10"]
    assert exact == [1.0, 1.0]
    if "faiss: IndexFlatIP" in res["indexes"]:
        assert res["indexes"]["faiss: IndexFlatIP"]["recall@10"] == [1.0, 1.0]
    for row in res["indexes"].values():
        assert all(0.0 < r <= 1.0 for r in row["recall@10"]) and all(b > 0 for b in row["bytes"])
    assert _png(record.out_dir / "index_scaling.png")


def test_break_29_skip_retrieval(tmp_path: Path) -> None:
    record = run_break(29, out=tmp_path / "run", config=CONFIG)
    outcome = record.outcome
    assert outcome.detected, (outcome.healthy, outcome.broken)
    assert outcome.broken["cited_answers"] == 0
    assert outcome.broken["irregular_forms"]["regularised"] >= 0.9
