"""Lab 41-portal-throughput on a real server (smoke size): every request answered, the figures consistent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lynx_cortex.runner import run_lab
from miniportal.labs import throughput


def test_the_throughput_lab_serves_every_page_and_measures_against_the_floor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")
    for (
        name
    ) in throughput.PG_ENV:  # SQLite only here: the PostgreSQL path is the same code on another URL
        monkeypatch.delenv(name, raising=False)
    record = run_lab("41-portal-throughput", out=tmp_path / "run")
    result = record.results
    sqlite = result["backends"]["sqlite"]
    assert result["errors"] == 0 and set(result["backends"]) == {"sqlite"}
    assert sqlite["page"]["requests"] > 0 and sqlite["floor"]["requests"] > 0
    assert result["portal_pages_per_s"] == sqlite["page"]["per_s"] > 0
    assert sqlite["page"]["p50_ms"] <= sqlite["page"]["p95_ms"] <= sqlite["page"]["p99_ms"]
    assert sqlite["page_over_floor"] == pytest.approx(
        sqlite["page"]["per_s"] / sqlite["floor"]["per_s"]
    )
    assert result["client"] == ("wrk" if shutil.which("wrk") else "python threads")
    assert (tmp_path / "run" / "throughput.png").stat().st_size > 10_000


def test_the_python_client_counts_what_it_got(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback when wrk is absent measures the same server, just with a costlier client."""
    monkeypatch.setattr(throughput.shutil, "which", lambda _: None)
    figures = throughput.measure(None, 0.5, 2)
    assert figures["page"]["errors"] == 0 and figures["page"]["requests"] > 0
    assert figures["floor"]["per_s"] > 0
