"""Phase 33's labs and break: a fast in-process variant of the break's claim, and the real runs at smoke size."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from lynx_cortex.runner import run_break, run_lab
from miniinfer.continuous import DecodeRequest
from miniinfer.sampling import Greedy
from miniserve.labs.phase33_little import elbow
from miniserve.loadgen import Outcome, summarise
from miniserve.scheduler import make_scheduler
from miniserve.settings import ServeSettings
from miniserve.state import ServeState


def _wall(name: str, jobs: int, tokens: int) -> float:
    """Seconds for `jobs` requests of `tokens` tokens, all submitted at once, through scheduler `name`."""
    state = ServeState.build(ServeSettings(scheduler=name, max_inflight=8, max_queue=jobs))
    state.host.load()
    scheduler = make_scheduler(state.host.model, state.settings)
    scheduler.start()
    prompt = state.host.encode("He", framed=False)

    async def run() -> float:
        started = time.perf_counter()
        tickets = [
            scheduler.submit(DecodeRequest(prompt, tokens, Greedy(), stop_ids=frozenset()))
            for _ in range(jobs)
        ]
        for ticket in tickets:
            await ticket
        return time.perf_counter() - started

    try:
        return asyncio.run(run())
    finally:
        scheduler.stop()


def test_without_batching_a_burst_takes_longer_than_with_it() -> None:
    """The break's claim without HTTP: the same burst, one at a time vs eight slots, measured side by side."""
    unbatched = min(_wall("none", 16, 40) for _ in range(2))
    batched = min(_wall("continuous", 16, 40) for _ in range(2))
    assert unbatched > 1.3 * batched, (unbatched, batched)


def test_elbow_is_the_smallest_setting_near_the_best() -> None:
    tput = {1: 10.0, 2: 19.0, 4: 30.0, 8: 31.0, 16: 30.5}
    assert elbow(tput, {1: 900.0, 2: 500.0, 4: 120.0, 8: 100.0, 16: 140.0}) == 4
    # below capacity every setting keeps up: the tail decides (one slot queues, many slots share steps)
    assert elbow({1: 60.0, 2: 60.0, 4: 60.0}, {1: 260.0, 2: 71.0, 4: 107.0}) == 2
    assert elbow({1: 5.0}, {1: 50.0}) == 1
    assert (
        elbow({1: 10.0, 2: 30.0}, {1: 10.0, 2: 500.0}) == 2
    )  # nothing is both: the best throughput


def test_summary_counts_and_percentiles() -> None:
    outcomes = [Outcome("short", i * 0.1, 0.010 * (i + 1), 200, 1.0, 4, False) for i in range(10)]
    outcomes += [
        Outcome("long", 1.0, 0.5, 429, None, 0, False),
        Outcome("long", 1.1, 30.0, 0, None, 0, True),
        Outcome("long", 1.2, 0.1, 500, None, 0, False),
    ]
    report = summarise(outcomes, wall_s=2.0, offered_rps=5.0)
    assert (report["sent"], report["ok"], report["rejected_429"]) == (13, 10, 1)
    assert (report["timeouts"], report["errors"]) == (1, 2)  # a timeout has no status: an error too
    assert report["throughput_rps"] == 5.0 and report["tokens_per_s"] == 20.0
    assert report["latency_ms"]["p50"] == pytest.approx(55.0)
    assert report["latency_ms"]["mean"] == pytest.approx(55.0)
    assert report["queue_ms"]["mean"] == 1.0


@pytest.mark.slow  # two services in their own processes under load: ~15 s on 2 shared cores
def test_break_33_without_batching_collapses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")
    record = run_break(33, out=tmp_path / "break")
    assert record.outcome.detected, record.outcome.symptom
    assert record.outcome.broken["errors"] == record.outcome.healthy["errors"] == 0
    assert (record.out_dir / "break.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow  # three services under load, then two: ~30 s on 2 shared cores
def test_labs_run_at_smoke_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_LAB_MODE", "smoke")
    schedulers = run_lab("33-batching-schedulers", out=tmp_path / "s").results
    assert set(schedulers["schedulers"]) == {"none", "static", "continuous"}
    for row in schedulers["schedulers"].values():
        assert row["errors"] == 0 and row["ok"] == row["sent"] > 0
    little = run_lab("33-little-law", out=tmp_path / "l").results
    assert little["elbow_max_inflight"] in (1, 4)
    for row in little["sweep"].values():
        assert row["little_L"] > 0
    assert (tmp_path / "s" / "schedulers.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "l" / "little_law.png").read_bytes()[:4] == b"\x89PNG"
