"""Lab 41-teacher-pages on a tiny class: the data it claims to have written is there, every request answered,
and the percentiles are ordered (the latency figure itself is the lab's report, not a test's assertion)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lynx_cortex.runner import run_lab


def test_teacher_lab_on_a_small_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LOAD_USERS", "2")
    monkeypatch.setenv("LYNX_TEACHER_ROUNDS", "4")
    record = run_lab("41-teacher-pages", out=tmp_path / "run")
    results = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    assert results == json.loads(json.dumps(record.results))
    assert results["data"] == {"statuses": 84, "attempts": 90, "notes": 10, "entries": 20}
    for route in ("cohort", "learner"):
        stats = results["routes"][route]
        assert stats["count"] == 4
        assert 0 < stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"]
    assert results["within_target"] == all(
        s["p95_ms"] < results["target_p95_ms"] for s in results["routes"].values()
    )
    assert (tmp_path / "run" / "teacher-latency.png").stat().st_size > 10_000
