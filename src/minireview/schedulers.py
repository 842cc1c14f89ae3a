"""The two schedulers behind one interface, so the portal can choose per cohort.

A card's scheduling state is stored as a JSON object; `review` takes it, the button pressed and the time, and
returns the new state and when the card is next due (UTC). Buttons are the portal's four: again, hard, good,
easy. Time is always passed in (never read from a clock here), so tests and simulations can move it freely.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from fsrs import Card, Rating, Scheduler

from minireview.sm2 import BUTTON_GRADES, SM2State
from minireview.sm2 import review as sm2_review

Button = Literal["again", "hard", "good", "easy"]
BUTTONS: tuple[Button, ...] = ("again", "hard", "good", "easy")
State = dict[str, Any]


class ReviewScheduler(Protocol):
    name: str

    def new_card(self, now: datetime) -> State: ...

    def review(self, state: State, button: Button, now: datetime) -> tuple[State, datetime]: ...

    def retired(self, state: State) -> bool: ...


def _check(button: str, now: datetime) -> None:
    if button not in BUTTONS:
        raise ValueError(f"button must be one of {', '.join(BUTTONS)}, got {button!r}")
    if now.tzinfo is None:
        raise ValueError("review times must be timezone-aware (UTC)")


class SM2Scheduler:
    name = "sm2"

    def new_card(self, now: datetime) -> State:
        return asdict(SM2State())

    def review(self, state: State, button: Button, now: datetime) -> tuple[State, datetime]:
        _check(button, now)
        new = sm2_review(SM2State(**state), BUTTON_GRADES[button])
        return asdict(new), now.astimezone(UTC) + timedelta(days=new.interval_days)

    def retired(self, state: State) -> bool:
        return SM2State(**state).retired


_RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}


class FSRSScheduler:
    """FSRS (the `fsrs` package) with day-granular steps and no fuzzing, so schedules are reproducible."""

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
        _check(button, now)
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


def get_scheduler(name: str) -> ReviewScheduler:
    if name == "sm2":
        return SM2Scheduler()
    if name == "fsrs":
        return FSRSScheduler()
    raise ValueError(f"unknown scheduler {name!r}; use sm2 or fsrs")
