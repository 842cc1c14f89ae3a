"""Phase 34's labs and break at smoke size through the real runner, judged on their outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab
from miniobserve.labs.phase34_break import attribute


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_trace_a_request_records_the_whole_pipeline(tmp_path: Path) -> None:
    res = run_lab("34-trace-a-request", out=tmp_path / "run").results
    assert res["status"] == 200 and res["correction"] == "Yesterday she went to the market."
    assert res["root"] == "POST /v1/grammar/correct" and res["roots"] == 1 and res["orphans"] == 0
    stages = ("tutor.correct", "tutor.parse", "tutor.plan", "tutor.verify", "tutor.spanish")
    for stage in (*stages, "tutor.explain"):
        assert stage in res["span_names"]
    assert res["tool_calls"].count("tool.lookup_rule") == 2  # retrieval, in English and Spanish
    assert {"tool.conjugate", "tool.classify_sentence"} <= set(res["tool_calls"])  # table, model
    assert res["children_inside_parents"]
    assert res["log_lines"] == res["log_lines_with_this_trace"] >= 3
    written = json.loads((tmp_path / "run" / "trace.json").read_text(encoding="utf-8"))
    assert written["trace_id"] == res["trace_id"] and len(written["spans"]) == res["spans"]
    assert (tmp_path / "run" / "waterfall.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tree = (tmp_path / "run" / "span-tree.txt").read_text(encoding="utf-8")
    assert tree.splitlines()[0].startswith("POST /v1/grammar/correct")


def test_cost_per_correction_agrees_with_metrics_and_is_linear_in_price(tmp_path: Path) -> None:
    res = run_lab("34-cost-per-correction", out=tmp_path / "run").results
    assert res["corrections"] == 6 and res["metrics_agree"]
    assert res["calibration_ratios"] == pytest.approx([1.0, 2.0, 4.0])
    assert res["cpu_ms_p50"] > 0 and res["tokens_mean"] > 0
    assert res["usd_per_1k_corrections"] > 0
    assert (tmp_path / "run" / "cost.png").is_file()


def test_instrumentation_overhead_reports_the_added_time_against_a_correction(
    tmp_path: Path,
) -> None:
    res = run_lab("34-instrumentation-overhead", out=tmp_path / "run").results
    assert res["rounds"] == 6 and res["ping_rounds"] == 30
    assert res["tutor_paired_median_ratio"] > 0
    share = res["added_ms_per_request"] / res["tutor_p50_ms"]["bare"]
    assert res["added_share_of_tutor_p50"] == pytest.approx(share)
    assert res["meets_goal"] == (share <= res["goal_share"])


def test_break_34_without_ids_the_failure_cannot_be_attributed(tmp_path: Path) -> None:
    outcome = run_break(34, out=tmp_path / "run").results
    assert outcome["detected"], outcome
    healthy, broken = outcome["healthy"], outcome["broken"]
    assert healthy["failed_requests"] == broken["failed_requests"] == 1
    assert healthy["candidates"] == 1 and healthy["candidate_tenants"] == ["ben"]
    assert healthy["trace_confirms"] and healthy["lines_with_request_id"] == healthy["log_lines"]
    assert broken["candidates"] >= 2 and broken["candidate_tenants"] == ["ana", "ben"]
    assert broken["lines_with_request_id"] == 0 and not broken["attributed_to_the_failed_request"]


def test_attribution_without_ids_uses_only_what_the_lines_say() -> None:
    """An oracle on hand-written logs: the window restarts whenever no request is open."""
    lines = [
        {"event": "tutor.received", "tenant": "ana"},
        {"event": "request.completed"},
        {"event": "tutor.received", "tenant": "ana"},
        {"event": "tutor.received", "tenant": "ben"},
        {"event": "request.failed"},
        {"event": "request.completed"},
    ]
    (found,) = attribute(lines)
    assert [c["tenant"] for c in found["candidates"]] == ["ana", "ben"]
    with_ids = [{**line, "request_id": rid} for line, rid in zip(lines, "aabccb", strict=True)]
    (pinned,) = attribute(with_ids)
    assert [c["tenant"] for c in pinned["candidates"]] == ["ben"]
