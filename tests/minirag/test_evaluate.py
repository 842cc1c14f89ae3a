from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.errors import LynxError
from minieval.metrics import wilson_interval
from minirag.build import load_retriever
from minirag.evaluate import (
    Query,
    bootstrap_ci,
    classify,
    faithfulness_eval,
    rate,
    read_queries,
    retrieval_eval,
)
from minirag.pipeline import RAGPipeline

from .conftest import FIXTURE_QUERIES


def test_rate_carries_the_wilson_interval() -> None:
    cell = rate([True, True, False, True])
    assert cell["value"] == 0.75 and (cell["lo"], cell["hi"]) == wilson_interval(3, 4)


def test_bootstrap_interval_brackets_the_mean_and_is_seeded() -> None:
    values = [1.0, 0.5, 0.0, 1.0, 1 / 3]
    lo, hi = bootstrap_ci(values)
    assert lo <= sum(values) / 5 <= hi and (lo, hi) == bootstrap_ci(values)


def test_retrieval_eval_by_hand(built: Path) -> None:
    retriever = load_retriever(built)
    target = retriever.search("past participle of eat", 5, "bm25")
    second = target[1].rule_id
    queries = [
        Query("a", "past participle of eat", "en", (target[0].rule_id,)),
        Query(
            "b",
            "past participle of eat",
            "en",
            (second,) if second != target[0].rule_id else ("nope",),
        ),
        Query("c", "past participle of eat", "en", ("not-a-rule",)),
    ]
    out = retrieval_eval(retriever, queries, "bm25")
    assert out["hit@1"]["correct"] == 1
    assert out["ranks"]["c"] is None
    if second != target[0].rule_id:
        assert out["mrr"]["value"] == pytest.approx((1 + 0.5 + 0) / 3)


def test_classify_failures() -> None:
    base = {"hallucinated": [], "faithful": False, "relevant_retrieved": True, "cited": ["x.en#0"]}
    assert classify({**base, "hallucinated": ["y.en#0"]}) == "hallucinated_citation"
    assert classify({**base, "faithful": True}) == "ok"
    assert classify({**base, "relevant_retrieved": False}) == "retrieval_miss"
    assert classify({**base, "cited": []}) == "reader_no_citation"
    assert classify({**base, "pattern_ok": True, "citation_ok": False}) == "wrong_cite_right_answer"
    assert classify({**base, "pattern_ok": False, "citation_ok": True}) == "right_cite_wrong_answer"
    assert classify({**base, "pattern_ok": False, "citation_ok": False}) == "both_wrong"


def test_skipping_retrieval_collapses_faithfulness(built: Path) -> None:
    pipeline = RAGPipeline(load_retriever(built))
    queries = read_queries(FIXTURE_QUERIES / "faithfulness.jsonl", faithfulness=True)
    healthy = faithfulness_eval(pipeline, queries)
    broken = faithfulness_eval(pipeline, queries, closed_book=True)
    assert healthy["faithfulness"]["value"] >= 0.9 and healthy["hallucinated_citations"] == 0
    assert (
        broken["faithfulness"]["value"] == 0.0
        and broken["pattern_ok"]["value"] < healthy["pattern_ok"]["value"]
    )


def test_bad_query_file_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "r-1", "query": "x", "lang": "en"}\n')
    with pytest.raises(LynxError, match=r"q.jsonl: query 1"):
        read_queries(bad)
    bad.write_text("")
    with pytest.raises(LynxError, match="no queries"):
        read_queries(bad)


def test_goals_are_judged_against_their_thresholds() -> None:
    from minirag.evaluate import goals

    cell = lambda v: {"value": v, "lo": v - 0.1, "hi": v + 0.05}  # noqa: E731
    results = {
        "retrieval": {"hybrid": {"hit@5": cell(0.95), "mrr": cell(0.84)}},
        "hybrid_gain_hit@3_pp": 5.0,
        "faithfulness": {
            "hybrid": {"faithfulness": cell(0.91), "hallucinated_citations": 0},
            "bm25": {"faithfulness": cell(0.5), "hallucinated_citations": 1},
        },
        "latency_ms": {"p95": 99.0},
    }
    verdicts = {g["goal"]: g["met"] for g in goals(results)}
    assert verdicts == {
        "hybrid hit@5 >= 0.95": True,
        "hybrid MRR >= 0.85": False,
        "hybrid beats the better single retriever by >= 5 pp hit@3": True,
        "faithfulness (hybrid) >= 0.90": True,
        "0 hallucinated citations": False,  # one in any mode fails it
        "ask p95 < 100 ms after load": True,
    }
