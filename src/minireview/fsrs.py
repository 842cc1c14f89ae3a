"""FSRS through the `fsrs` package, behind the same interface as SM-2.

Day-granular scheduling (no minute learning steps), fuzzing off and desired retention 0.9, so schedules are
reproducible and comparable with SM-2 in tests and simulations.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fsrs import Card, Rating, Scheduler

from minireview.interface import Button, State, check_review

_RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}


class FSRSScheduler:
    name = "fsrs"

    def __init__(self, desired_retention: float = 0.9, retire_after_days: int = 180) -> None:
        self._scheduler = Scheduler(
            desired_retention=desired_retention,
            learning_steps=(),
            relearning_steps=(),
            enable_fuzzing=False,
        )
        self.retire_after_days = retire_after_days

    def new_card(self, now: datetime) -> State:
        card = Card(card_id=1, due=now.astimezone(UTC))
        return dict(card.to_dict())

    def review(self, state: State, button: Button, now: datetime) -> tuple[State, datetime]:
        check_review(button, now)
        card = Card.from_dict(state)  # type: ignore[arg-type]
        card, _log = self._scheduler.review_card(
            card, _RATINGS[button], review_datetime=now.astimezone(UTC)
        )
        return dict(card.to_dict()), card.due

    def retired(self, state: State) -> bool:
        card = Card.from_dict(state)  # type: ignore[arg-type]
        if card.last_review is None:
            return False
        return (card.due - card.last_review) > timedelta(days=self.retire_after_days)


__all__ = ["FSRSScheduler"]
