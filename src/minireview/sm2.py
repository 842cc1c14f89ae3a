"""SM-2, the classic spaced-repetition rule, as a pure function of (state, grade).

Grades run 0-5 (0 blackout … 5 perfect); the portal's four buttons send Again=0, Hard=2, Good=4, Easy=5.
A failed review (grade < 3) restarts the card at a 1-day interval; a passed one grows the interval 1 → 6 →
previous × ease. The ease factor moves by `0.1 - (5-q)(0.08 + (5-q)0.02)` on every review (so a failure lowers
it by 0.8 and Easy raises it by 0.1) and never drops below 1.3, which keeps hard cards coming back often
without collapsing to daily reviews forever.

Retirement (our rule, recorded in docs/DECISIONS.md): a card retires after a passing review that sets its
interval beyond 180 days — the learner has shown half a year of retention. With Good every time that is the
sixth review (1, 6, 15, 38, 95, 238 days).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from minireview.interface import Button, State, check_review

EASE_START: Final = 2.5
EASE_FLOOR: Final = 1.3
RETIRE_AFTER_DAYS: Final = 180
BUTTON_GRADES: Final = {"again": 0, "hard": 2, "good": 4, "easy": 5}


@dataclass(frozen=True)
class SM2State:
    ease: float = EASE_START
    interval_days: int = 0
    repetitions: int = 0

    @property
    def retired(self) -> bool:
        return self.interval_days > RETIRE_AFTER_DAYS


def ease_delta(grade: int) -> float:
    miss = 5 - grade
    return 0.1 - miss * (0.08 + miss * 0.02)


def review(state: SM2State, grade: int) -> SM2State:
    """The state after answering with `grade` (0..5)."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"SM-2 grade must be an integer 0..5, got {grade!r}")
    ease = max(EASE_FLOOR, state.ease + ease_delta(grade))
    if grade < 3:
        return replace(state, ease=ease, interval_days=1, repetitions=0)
    repetitions = state.repetitions + 1
    if repetitions == 1:
        interval = 1
    elif repetitions == 2:
        interval = 6
    else:
        interval = max(1, round(state.interval_days * state.ease))
    return SM2State(ease=ease, interval_days=interval, repetitions=repetitions)


class SM2Scheduler:
    """SM-2 behind the portal's scheduler interface (`minireview.interface.ReviewScheduler`)."""

    name = "sm2"

    def new_card(self, now: datetime) -> State:
        return asdict(SM2State())

    def review(self, state: State, button: Button, now: datetime) -> tuple[State, datetime]:
        check_review(button, now)
        new = review(SM2State(**state), BUTTON_GRADES[button])
        return asdict(new), now.astimezone(UTC) + timedelta(days=new.interval_days)

    def retired(self, state: State) -> bool:
        return SM2State(**state).retired
