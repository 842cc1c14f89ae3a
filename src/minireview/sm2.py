"""SM-2, the classic spaced-repetition rule, as a pure function of (state, grade), in exact integer arithmetic.

Grades run 0-5 (0 blackout … 5 perfect; below 3 is a lapse). The portal's four buttons send Again=1, Hard=3,
Good=4, Easy=5: Hard means "recalled, with effort", a pass, so it must not reset the card the way a lapse does.
A lapse restarts the card at a 1-day interval; a pass grows the interval 1 → 6 → previous × ease. The ease
factor moves by `0.1 - (5-q)(0.08 + (5-q)0.02)` on every review (Again lowers it by 0.54, Hard by 0.14, Easy
raises it by 0.1) and never drops below 1.3, which keeps hard cards coming back often without collapsing to
daily reviews forever.

Ease is kept in integer thousandths (2.5 is 2500) and every interval is rounded half up in integers, so the
schedule is the one exact arithmetic gives: in floating point the ease drifts (2.5 - 0.32 - 0.54 - 0.14 comes
out as 1.4999999999999998) and Python's `round` sends halves to even, which together turned a 13.5-day
interval into 13 days instead of 14. The JSON state the portal stores shows the ease as a decimal with at most
three places (2.18), which reads back exactly; an older state holding a drifted float is snapped to the nearest
thousandth.

Retirement (our rule, recorded in docs/DECISIONS.md): a card retires after a passing review that sets its
interval beyond 180 days — the learner has shown half a year of retention. With Good every time that is the
sixth review (1, 6, 15, 38, 95, 238 days).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from minireview.interface import Button, State, check_review

EASE_START: Final = 2500  # thousandths: 2.5
EASE_FLOOR: Final = 1300  # thousandths: 1.3
RETIRE_AFTER_DAYS: Final = 180
BUTTON_GRADES: Final[dict[Button, int]] = {"again": 1, "hard": 3, "good": 4, "easy": 5}


@dataclass(frozen=True)
class SM2State:
    ease_milli: int = EASE_START
    interval_days: int = 0
    repetitions: int = 0

    @property
    def ease(self) -> float:
        return self.ease_milli / 1000

    @property
    def retired(self) -> bool:
        return self.interval_days > RETIRE_AFTER_DAYS

    def to_state(self) -> State:
        """The JSON object the portal stores: ease as a decimal (2.18), the rest as integers."""
        return {
            "ease": self.ease,
            "interval_days": self.interval_days,
            "repetitions": self.repetitions,
        }

    @classmethod
    def from_state(cls, state: State) -> SM2State:
        """Read a stored state; the ease is snapped to whole thousandths (it never holds more)."""
        try:
            ease, interval, reps = state["ease"], state["interval_days"], state["repetitions"]
        except KeyError as exc:
            raise ValueError(f"SM-2 state is missing {exc.args[0]!r}: {state!r}") from None
        if isinstance(ease, bool) or not isinstance(ease, int | float) or not math.isfinite(ease):
            raise ValueError(f"SM-2 ease must be a finite number, got {ease!r}")
        for name, value in (("interval_days", interval), ("repetitions", reps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"SM-2 {name} must be an integer >= 0, got {value!r}")
        return cls(ease_milli=round(ease * 1000), interval_days=interval, repetitions=reps)


def ease_delta(grade: int) -> int:
    """The change of ease after `grade`, in thousandths: 100 - (5-q)(80 + 20(5-q))."""
    miss = 5 - grade
    return 100 - miss * (80 + miss * 20)


def grown_interval(previous_days: int, ease_milli: int) -> int:
    """previous × ease, rounded half up, in integers (no float, no round-half-to-even)."""
    return (previous_days * ease_milli + 500) // 1000


def review(state: SM2State, grade: int) -> SM2State:
    """The state after answering with `grade` (0..5)."""
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 5:
        raise ValueError(f"SM-2 grade must be an integer 0..5, got {grade!r}")
    ease = max(EASE_FLOOR, state.ease_milli + ease_delta(grade))
    if grade < 3:
        return SM2State(ease_milli=ease, interval_days=1, repetitions=0)
    repetitions = state.repetitions + 1
    if repetitions == 1:
        interval = 1
    elif repetitions == 2:
        interval = 6
    else:  # grown with the ease the card had before this review, as SM-2 specifies
        interval = max(1, grown_interval(state.interval_days, state.ease_milli))
    return SM2State(ease_milli=ease, interval_days=interval, repetitions=repetitions)


class SM2Scheduler:
    """SM-2 behind the portal's scheduler interface (`minireview.interface.ReviewScheduler`)."""

    name = "sm2"

    def new_card(self, now: datetime) -> State:
        return SM2State().to_state()

    def review(self, state: State, button: Button, now: datetime) -> tuple[State, datetime]:
        check_review(button, now)
        new = review(SM2State.from_state(state), BUTTON_GRADES[button])
        return new.to_state(), now.astimezone(UTC) + timedelta(days=new.interval_days)

    def retired(self, state: State) -> bool:
        return SM2State.from_state(state).retired
