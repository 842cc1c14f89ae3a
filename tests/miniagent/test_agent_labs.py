"""Phase 32's labs and break at smoke size through the real runner, judged on their numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")


def test_break_32_the_watchdog_fires_without_a_budget(tmp_path: Path) -> None:
    outcome = run_break(32, out=tmp_path / "run").results
    assert outcome["detected"], outcome
    assert outcome["healthy"]["stopped"] == "budget" and outcome["healthy"]["tool_calls"] == 8
    assert outcome["broken"]["stopped"] == "watchdog" and outcome["broken"]["tool_calls"] > 8


def test_failure_tour(tmp_path: Path) -> None:
    res = run_lab("32-failure-tour", out=tmp_path / "run").results
    assert (res["looping"]["stopped"], res["looping"]["tool_calls"]) == ("duplicate", 1)
    assert (res["indecisive"]["stopped"], res["indecisive"]["tool_calls"]) == ("budget", 8)
    assert res["hallucinating"]["refusals"] == ["unknown_tool"]
    assert not res["scratchpad_leak"]["leaked"] and res["scratchpad_leak"]["second_verbs"] == [
        "have"
    ]
    assert (tmp_path / "run" / "REPORT.md").exists()


@pytest.mark.slow
def test_sandbox_lab_contains_every_evil_tool(tmp_path: Path) -> None:
    """~5 s (a CPU limit and a wall clock run out); `test_sandbox.py` is the fast variant, case by case."""
    res = run_lab("32-sandbox-evil-tool", out=tmp_path / "run").results
    codes = {r["tool"]: r["code"] for r in res["containment"]}
    assert codes == {
        "infinite_loop": "cpu_limit",
        "memory_eater": "memory_limit",
        "escape_write": "refused",
        "socket_open": "refused",
        "sleeper": "timeout",
        "control": "ok",
    }
    assert all(r["parent_alive"] for r in res["containment"])
    assert res["closed_loop"]["refusals"] == ["cpu_limit"]
    assert (tmp_path / "run" / "containment.csv").read_text().count("\n") == 7


@pytest.mark.slow
def test_tutor_end_to_end_lab(tmp_path: Path) -> None:
    """~10 s (a model-loading MCP server); the loop, dispatch and golden tests are the fast variants."""
    res = run_lab("32-tutor-end-to-end", out=tmp_path / "run").results
    assert res["end_to_end"]["correct"] == res["end_to_end"]["n"]
    assert res["contradictions"] == 0 and res["hallucinated_citations"] == 0
    assert res["mcp"]["same_answers"] == res["mcp"]["sentences"]
    assert res["tool_calls_in_scope"]["max"] <= 8 and set(res["stops"]) == {"final"}
    assert (tmp_path / "run" / "steps_histogram.png").stat().st_size > 0


@pytest.mark.slow
def test_planner_by_mask_lab(tmp_path: Path) -> None:
    """~15 s of model decisions; `test_the_model_planner_always_writes_a_valid_call` is the fast variant."""
    res = run_lab("32-planner-by-mask", out=tmp_path / "run").results
    assert res["schema_valid_calls"] == res["model_tool_calls"] > 0
    assert res["end_to_end"]["rule_planner"]["correct"] == res["sentences"]
    assert res["end_to_end"]["model_planner_contradictions"] == 0
