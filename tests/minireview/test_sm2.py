from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minireview.schedulers import BUTTONS, FSRSScheduler, SM2Scheduler, get_scheduler
from minireview.sm2 import (
    BUTTON_GRADES,
    EASE_FLOOR,
    SM2State,
    ease_delta,
    grown_interval,
    review,
)

NOW = datetime(2026, 5, 23, 9, 0, tzinfo=UTC)


def test_first_reviews_follow_the_classic_intervals() -> None:
    assert review(SM2State(2500, 0, 0), 4) == SM2State(2500, 1, 1)
    assert review(SM2State(2500, 1, 1), 4) == SM2State(2500, 6, 2)
    assert review(SM2State(2500, 6, 2), 4) == SM2State(2500, 15, 3)


def test_a_lapse_restarts_the_card_and_lowers_ease() -> None:
    after = review(SM2State(2500, 6, 2), 0)
    assert after == SM2State(1700, 1, 0)  # 2500 + (100 - 5·(80 + 5·20)) = 2500 - 800


def test_ease_deltas_by_grade_in_thousandths() -> None:
    # 100 - m(80 + 20m) with m = 5 - q: m=0 → 100, 1 → 0, 2 → -140, 3 → -320, 4 → -540, 5 → -800
    assert [ease_delta(q) for q in (5, 4, 3, 2, 1, 0)] == [100, 0, -140, -320, -540, -800]


def test_ease_never_drops_below_the_floor() -> None:
    state = SM2State()
    for _ in range(20):
        state = review(state, 0)
        assert state.ease_milli >= EASE_FLOOR
    assert state.ease_milli == EASE_FLOOR and state.ease == 1.3


def test_good_every_time_retires_on_the_sixth_review() -> None:
    # ease stays 2.5: 1, 6, 6·2.5 = 15, 15·2.5 = 37.5 → 38, 38·2.5 = 95, 95·2.5 = 237.5 → 238 (> 180)
    state, intervals = SM2State(), []
    while not state.retired:
        state = review(state, 4)
        intervals.append(state.interval_days)
    assert intervals == [1, 6, 15, 38, 95, 238]


def test_exact_arithmetic_and_half_up_rounding() -> None:
    """Grades 2, 1, 3, 4, 4, 3 by hand (ease in thousandths, interval grown with the ease before the review):

    q=2: ease 2500 - 320 = 2180, lapse → 1 day, n=0
    q=1: ease 2180 - 540 = 1640, lapse → 1 day, n=0
    q=3: ease 1640 - 140 = 1500, n=1 → 1 day
    q=4: ease 1500 + 0   = 1500, n=2 → 6 days
    q=4: ease 1500,              n=3 → 6 × 1.5 = 9 days
    q=3: ease 1500 - 140 = 1360, n=4 → 9 × 1.5 = 13.5 → 14 days (half up)

    Floating point made the ease 1.4999999999999998 and gave 13 days.
    """
    state, intervals = SM2State(), []
    for grade in (2, 1, 3, 4, 4, 3):
        state = review(state, grade)
        intervals.append(state.interval_days)
    assert intervals == [1, 1, 1, 6, 9, 14]
    assert state == SM2State(1360, 14, 4)


def test_grown_interval_rounds_halves_up() -> None:
    assert [grown_interval(d, 1500) for d in (1, 3, 5, 9)] == [2, 5, 8, 14]  # 1.5, 4.5, 7.5, 13.5
    assert grown_interval(7, 1300) == 9  # 9.1
    assert grown_interval(3, 1700) == 5  # 5.1


def _exact_review(
    ease: Fraction, interval: int, reps: int, grade: int
) -> tuple[Fraction, int, int]:
    """SM-2 in exact rational arithmetic, written independently as the oracle."""
    miss = 5 - grade
    new_ease = max(
        Fraction(13, 10),
        ease + Fraction(1, 10) - miss * (Fraction(8, 100) + miss * Fraction(2, 100)),
    )
    if grade < 3:
        return new_ease, 1, 0
    reps += 1
    if reps == 1:
        return new_ease, 1, reps
    if reps == 2:
        return new_ease, 6, reps
    return new_ease, math.floor(interval * ease + Fraction(1, 2)), reps


@given(st.lists(st.integers(0, 5), min_size=1, max_size=40))
def test_integer_sm2_equals_exact_rational_sm2(history: list[int]) -> None:
    state = SM2State()
    exact: tuple[Fraction, int, int] = (Fraction(5, 2), 0, 0)
    for grade in history:
        state = review(state, grade)
        exact = _exact_review(*exact, grade)
        assert (Fraction(state.ease_milli, 1000), state.interval_days, state.repetitions) == exact


@pytest.mark.parametrize("grade", [-1, 6, 2.5, True, "4"])
def test_bad_grades_are_rejected(grade: object) -> None:
    with pytest.raises(ValueError, match="0..5"):
        review(SM2State(), grade)  # type: ignore[arg-type]


grades = st.lists(st.integers(0, 5), min_size=1, max_size=25)


@given(grades, st.floats(0.0, 1.0))
def test_passing_grade_never_moves_the_due_date_backwards(
    history: list[int], earliness: float
) -> None:
    """Reviewed on time or early, a pass pushes the due date to at least where it was."""
    state, last = SM2State(), 0.0
    for grade in history:
        due = last + state.interval_days
        reviewed_at = last + earliness * state.interval_days
        new = review(state, grade)
        if grade >= 3:
            assert reviewed_at + new.interval_days >= due
        state, last = new, reviewed_at


@pytest.mark.parametrize("name", ["sm2", "fsrs"])
def test_schedulers_share_one_interface(name: str) -> None:
    scheduler = get_scheduler(name)
    state = scheduler.new_card(NOW)
    state, due = scheduler.review(state, "good", NOW)
    assert due > NOW and due.tzinfo is not None
    again, soon = scheduler.review(state, "again", due)
    _, later = scheduler.review(state, "easy", due)
    assert soon < later
    assert not scheduler.retired(again)


def test_sm2_buttons_send_grades_1_3_4_5() -> None:
    """Again is the only lapse: Hard (grade 3) is a pass that grows the interval and lowers ease by 0.14."""
    assert BUTTON_GRADES == {"again": 1, "hard": 3, "good": 4, "easy": 5}
    scheduler = SM2Scheduler()
    state, due = scheduler.review(SM2State(2500, 1, 1).to_state(), "good", NOW)
    assert state == {"ease": 2.5, "interval_days": 6, "repetitions": 2}
    assert due == NOW + timedelta(days=6)
    hard, due = scheduler.review(state, "hard", NOW)
    assert hard == {"ease": 2.36, "interval_days": 15, "repetitions": 3}  # 6 × 2.5, not a reset
    assert due == NOW + timedelta(days=15)
    again, due = scheduler.review(hard, "again", NOW)
    assert again == {"ease": 1.82, "interval_days": 1, "repetitions": 0}  # 2360 - 540
    easy, _ = scheduler.review(state, "easy", NOW)
    assert easy["ease"] == 2.6 and easy["interval_days"] == 15


def test_stored_state_round_trips_and_old_float_drift_is_snapped() -> None:
    for ease in (1300, 1360, 2180, 2500, 2600):
        state = SM2State(ease, 38, 4)
        assert SM2State.from_state(json.loads(json.dumps(state.to_state()))) == state
    drifted = {
        "ease": 1.4999999999999998,
        "interval_days": 9,
        "repetitions": 3,
    }  # the old float code
    assert SM2State.from_state(drifted) == SM2State(1500, 9, 3)
    _, due = SM2Scheduler().review(drifted, "hard", NOW)
    assert due == NOW + timedelta(days=14)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"interval_days": 1, "repetitions": 0}, "missing 'ease'"),
        ({"ease": "2.5", "interval_days": 1, "repetitions": 0}, "finite number"),
        ({"ease": float("nan"), "interval_days": 1, "repetitions": 0}, "finite number"),
        ({"ease": 2.5, "interval_days": -1, "repetitions": 0}, "interval_days must be"),
        ({"ease": 2.5, "interval_days": 1, "repetitions": 1.5}, "repetitions must be"),
    ],
)
def test_a_malformed_stored_state_is_named(state: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SM2State.from_state(state)


@given(st.lists(st.sampled_from(["good", "easy"]), min_size=1, max_size=12))
def test_fsrs_intervals_grow_under_passing_grades(buttons: list[str]) -> None:
    scheduler, now = FSRSScheduler(), NOW
    state = scheduler.new_card(now)
    previous = timedelta(0)
    for button in buttons:
        state, due = scheduler.review(state, button, now)  # type: ignore[arg-type]
        assert due - now >= previous
        previous, now = due - now, due


def test_fsrs_is_deterministic() -> None:
    runs = []
    for _ in range(2):
        scheduler, now, state, dues = FSRSScheduler(), NOW, FSRSScheduler().new_card(NOW), []
        for button in ["good", "again", "hard", "good", "easy"]:
            state, now = scheduler.review(state, button, now)  # type: ignore[arg-type]
            dues.append(now)
        runs.append(dues)
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", ["sm2", "fsrs"])
def test_bad_input(name: str) -> None:
    scheduler = get_scheduler(name)
    state = scheduler.new_card(NOW)
    with pytest.raises(ValueError, match="button must be one of"):
        scheduler.review(state, "maybe", NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        scheduler.review(state, "good", datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="unknown scheduler"):
        get_scheduler("leitner")
    assert set(BUTTONS) == {"again", "hard", "good", "easy"}
