"""Simulated learners, to compare schedulers before real learners pay for a bad one.

Each (learner, item) has a true memory with exponential forgetting, R(t) = exp(-t / S). A review succeeds with
probability R; success multiplies S by `1 + growth * (1 - R)` (reviewing late, when recall was hard, helps more:
the spacing effect), failure cuts S back. The learner presses Easy, Good or Hard by how easy recall was, Again
on failure. Both schedulers face the same learners, the same items and the same random numbers (common random
numbers), so differences come from the schedules alone. A failed review shows the answer again, so memory
falls back to the item's first-exposure stability rather than below it. The memory model is an assumption,
stated in the results, not a fitted truth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from lynx_cortex.progress import track
from minireview.interface import Button, ReviewScheduler

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MemoryModel:
    initial_stability_days: float = 2.0
    stability_spread: float = 0.5
    growth: float = 8.0
    lapse_factor: float = 0.5

    def recall_probability(self, elapsed_days: float, stability: float) -> float:
        return math.exp(-max(0.0, elapsed_days) / stability)

    def after_review(
        self, stability: float, recalled: bool, probability: float, relearned: float
    ) -> float:
        """New stability; `relearned` is the item's first-exposure stability, the floor after a lapse."""
        if recalled:
            return stability * (1.0 + self.growth * (1.0 - probability))
        return max(relearned, stability * self.lapse_factor)


def button_for(recalled: bool, probability: float) -> Button:
    if not recalled:
        return "again"
    if probability > 0.9:
        return "easy"
    return "good" if probability > 0.7 else "hard"


@dataclass(frozen=True)
class SimulationConfig:
    learners: int = 40
    items_per_learner: int = 60
    new_items_per_day: int = 2
    days: int = 180
    daily_cap: int = 30
    seed: int = 42
    memory: MemoryModel = field(default_factory=MemoryModel)


@dataclass(frozen=True)
class SimulationResult:
    scheduler: str
    reviews_per_day: list[float]
    retention_per_day: list[float]
    total_reviews: int
    retired_cards: int

    @property
    def mean_retention(self) -> float:
        return float(np.mean(self.retention_per_day))


@dataclass
class _Card:
    initial: float
    stability: float
    last_seen_day: float
    due: datetime
    state: dict[str, object]
    retired: bool = False


def simulate(scheduler: ReviewScheduler, config: SimulationConfig) -> SimulationResult:
    """Run `config.days` days for every learner; cards are reviewed in due order, at most `daily_cap` a day."""
    memory = config.memory
    init_rng = np.random.default_rng(config.seed)
    initial = init_rng.lognormal(
        math.log(memory.initial_stability_days),
        memory.stability_spread,
        (config.learners, config.items_per_learner),
    )
    recall_rng = np.random.default_rng(config.seed + 1)
    reviews = np.zeros(config.days)
    retention = np.zeros(config.days)
    total = retired = 0
    for learner in track(range(config.learners), desc="learners", unit="learner"):
        cards: list[_Card] = []
        for day in range(config.days):
            now = START + timedelta(days=day)
            for _ in range(config.new_items_per_day):
                if len(cards) < config.items_per_learner:
                    # a wrong quiz answer today: the card exists, first review tomorrow
                    stability = float(initial[learner, len(cards)])
                    cards.append(
                        _Card(
                            stability,
                            stability,
                            day,
                            now + timedelta(days=1),
                            scheduler.new_card(now),
                        )
                    )
            due = sorted(
                (c for c in cards if not c.retired and c.due <= now + timedelta(hours=23)),
                key=lambda c: c.due,
            )
            for card in due[: config.daily_cap]:
                probability = memory.recall_probability(day - card.last_seen_day, card.stability)
                recalled = bool(recall_rng.random() < probability)
                state, next_due = scheduler.review(
                    card.state, button_for(recalled, probability), now
                )
                card.state, card.due = state, next_due
                card.stability = memory.after_review(
                    card.stability, recalled, probability, card.initial
                )
                card.last_seen_day = day
                card.retired = scheduler.retired(state)
                reviews[day] += 1
                total += 1
            if cards:
                retention[day] += float(
                    np.mean(
                        [
                            memory.recall_probability(day - c.last_seen_day, c.stability)
                            for c in cards
                        ]
                    )
                )
        retired += sum(c.retired for c in cards)
    return SimulationResult(
        scheduler=scheduler.name,
        reviews_per_day=(reviews / config.learners).tolist(),
        retention_per_day=(retention / config.learners).tolist(),
        total_reviews=total,
        retired_cards=retired,
    )


def compare(
    schedulers: Sequence[ReviewScheduler], config: SimulationConfig
) -> dict[str, SimulationResult]:
    return {s.name: simulate(s, config) for s in schedulers}


def describe(config: SimulationConfig) -> dict[str, object]:
    return asdict(config)
