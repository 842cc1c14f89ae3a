"""Phase 31's labs and break at smoke size through the real runner, judged on their numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lynx_cortex.errors import LynxError
from lynx_cortex.runner import run_break, run_lab
from miniagent.labs import phase31_toolcall


@pytest.fixture(autouse=True)
def _smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")
    monkeypatch.setenv("LYNX_MCP_DEMO", "1")


def test_typed_tools_lab(tmp_path: Path) -> None:
    res = run_lab("31-typed-tools", out=tmp_path / "run").results
    assert res["tools_registered"] == len(res["tools"]) >= 2
    assert res["every_off_schema_call_refused"]
    add = res["tools"]["add"]
    assert add["mask_ready"] and add["example_call"] == {"ok": True, "result": {"sum": 0}}


def test_mcp_roundtrip_lab_records_the_wire(tmp_path: Path) -> None:
    record = run_lab("31-mcp-roundtrip", out=tmp_path / "run")
    res = record.results
    assert res["tools_discovered"] >= 2 and res["server_exit_code"] == 0
    assert res["unknown_tool"]["protocol_error"] == -32602
    assert res["off_schema_call"]["protocol_error"] == -32602
    assert res["malformed_frame"]["code"] == -32700
    assert all(not c["isError"] for c in res["calls"].values())
    transcript = (tmp_path / "run" / "transcript.txt").read_bytes()
    lines = transcript.splitlines()
    assert len(lines) == res["frames_sent"] + res["frames_received"]
    assert len(transcript) == res["bytes_sent"] + res["bytes_received"] + 3 * len(
        lines
    )  # "-> " prefixes


def test_mask_driven_toolcall_lab(tmp_path: Path) -> None:
    res = run_lab("31-mask-driven-toolcall", out=tmp_path / "run").results
    assert res["calls"] == res["valid_calls"] > 0
    assert res["protocol_errors"] == 0


def test_mask_driven_toolcall_lab_counts_a_call_that_outran_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call that never closes within the token budget is counted, and the medians use the others."""
    real = phase31_toolcall.generate_call
    seen: list[int] = []

    def first_runs_out(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        if len(seen) == 1:
            raise LynxError("the token budget ran out inside a string")
        return real(*args, **kwargs)

    monkeypatch.setattr(phase31_toolcall, "generate_call", first_runs_out)
    res = run_lab("31-mask-driven-toolcall", out=tmp_path / "run").results
    assert res["budget_exhausted"] == 1 and res["calls"] == len(seen) >= 2
    assert res["valid_calls"] == res["calls"] - 1
    assert all(v is not None and v > 0 for v in res["median_ms"].values())


def test_break_31_drops_required_and_incomplete_calls_reach_the_tool(tmp_path: Path) -> None:
    record = run_break(31, out=tmp_path / "run")
    outcome = record.results
    assert outcome["detected"], outcome
    healthy, broken = outcome["healthy"], outcome["broken"]
    assert healthy["incomplete_calls"] == 0 and healthy["replies"] == {"ok": healthy["samples"]}
    assert broken["incomplete_calls"] > 0
    assert (
        broken["replies"]["-32603"] == broken["incomplete_calls"]
    )  # each incomplete call crashed the tool
