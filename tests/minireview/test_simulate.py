from __future__ import annotations

from pathlib import Path

import pytest

from lynx_cortex.runner import run_lab
from minireview.schedulers import FSRSScheduler, SM2Scheduler
from minireview.simulate import MemoryModel, SimulationConfig, button_for, simulate

SMALL = SimulationConfig(learners=3, items_per_learner=10, days=40, seed=7)


def test_memory_model() -> None:
    memory = MemoryModel()
    assert memory.recall_probability(0, 2.0) == 1.0
    assert memory.recall_probability(2.0, 2.0) == pytest.approx(0.3679, abs=1e-4)
    assert memory.after_review(2.0, True, 0.5, relearned=2.0) == pytest.approx(10.0)
    assert memory.after_review(10.0, False, 0.5, relearned=2.0) == 5.0
    assert memory.after_review(3.0, False, 0.5, relearned=2.0) == 2.0
    assert [
        button_for(False, 0.99),
        button_for(True, 0.95),
        button_for(True, 0.8),
        button_for(True, 0.5),
    ] == [
        "again",
        "easy",
        "good",
        "hard",
    ]


def test_simulation_is_deterministic_and_bounded() -> None:
    a, b = simulate(SM2Scheduler(), SMALL), simulate(SM2Scheduler(), SMALL)
    assert a == b
    assert len(a.reviews_per_day) == 40 and all(0 <= r <= 30 for r in a.reviews_per_day)
    assert all(0.0 <= r <= 1.0 for r in a.retention_per_day)
    assert a.total_reviews == round(sum(a.reviews_per_day) * SMALL.learners)


def test_reviewing_keeps_memory_above_forgetting_alone() -> None:
    """Against a scheduler that never brings a card back, both real schedulers retain far more."""

    class Never(SM2Scheduler):
        name = "never"

        def review(self, state, button, now):  # type: ignore[no-untyped-def]
            new_state, _ = super().review(state, button, now)
            return new_state, now.replace(year=now.year + 10)

    baseline = simulate(Never(), SMALL).retention_per_day[-1]
    for scheduler in (SM2Scheduler(), FSRSScheduler()):
        assert simulate(scheduler, SMALL).retention_per_day[-1] > baseline + 0.2


def test_lab_reports_both_schedulers(tmp_path: Path) -> None:
    from lynx_cortex.registry import get_lab

    lab = get_lab("41-srs-simulation")
    assert lab.phase == 41
    record = run_lab("41-srs-simulation", out=tmp_path / "run", config={"learners": 3, "days": 40})
    assert set(record.results) >= {"sm2", "fsrs", "fsrs_over_sm2"}
    assert record.results["sm2"]["reviews_per_learner"] > 0
    assert (tmp_path / "run" / "srs_simulation.png").is_file()
    assert "| sm2 |" in (tmp_path / "run" / "summary.md").read_text()
