"""What every scheduler offers the portal: JSON state in, button and time in, new state and due time out.

A card's scheduling state is stored as a JSON object; `review` takes it, the button pressed and the time, and
returns the new state and when the card is next due (UTC). Buttons are the portal's four: again, hard, good,
easy. Time is always passed in (never read from a clock), so tests and simulations can move it freely.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

Button = Literal["again", "hard", "good", "easy"]
BUTTONS: tuple[Button, ...] = ("again", "hard", "good", "easy")
State = dict[str, Any]


class ReviewScheduler(Protocol):
    name: str

    def new_card(self, now: datetime) -> State: ...

    def review(self, state: State, button: Button, now: datetime) -> tuple[State, datetime]: ...

    def retired(self, state: State) -> bool: ...


def check_review(button: str, now: datetime) -> None:
    """Refuse an unknown button or a naive datetime (a review time without a zone is ambiguous)."""
    if button not in BUTTONS:
        raise ValueError(f"button must be one of {', '.join(BUTTONS)}, got {button!r}")
    if now.tzinfo is None:
        raise ValueError("review times must be timezone-aware (UTC)")
