from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minireview.schedulers import BUTTONS, FSRSScheduler, SM2Scheduler, get_scheduler
from minireview.sm2 import EASE_FLOOR, SM2State, ease_delta, review

NOW = datetime(2026, 5, 23, 9, 0, tzinfo=UTC)


def test_first_reviews_follow_the_classic_intervals() -> None:
    assert review(SM2State(2.5, 0, 0), 4) == SM2State(2.5, 1, 1)
    assert review(SM2State(2.5, 1, 1), 4) == SM2State(2.5, 6, 2)
    assert review(SM2State(2.5, 6, 2), 4) == SM2State(2.5, 15, 3)


def test_a_lapse_restarts_the_card_and_lowers_ease() -> None:
    after = review(SM2State(2.5, 6, 2), 0)
    assert after.interval_days == 1 and after.repetitions == 0
    assert after.ease == pytest.approx(1.7)


def test_ease_deltas_by_grade() -> None:
    assert [round(ease_delta(q), 2) for q in (5, 4, 3, 2, 0)] == [0.1, 0.0, -0.14, -0.32, -0.8]


def test_ease_never_drops_below_the_floor() -> None:
    state = SM2State()
    for _ in range(20):
        state = review(state, 0)
        assert state.ease >= EASE_FLOOR
    assert state.ease == EASE_FLOOR


def test_good_every_time_retires_on_the_sixth_review() -> None:
    state, intervals = SM2State(), []
    while not state.retired:
        state = review(state, 4)
        intervals.append(state.interval_days)
    assert intervals == [1, 6, 15, 38, 95, 238]


@pytest.mark.parametrize("grade", [-1, 6, 2.5, True, "4"])
def test_bad_grades_are_rejected(grade: object) -> None:
    with pytest.raises(ValueError, match="0..5"):
        review(SM2State(), grade)  # type: ignore[arg-type]


grades = st.lists(st.sampled_from([0, 2, 4, 5]), min_size=1, max_size=25)


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


def test_sm2_adapter_maps_buttons_to_grades() -> None:
    scheduler = SM2Scheduler()
    state, due = scheduler.review(asdict(SM2State(2.5, 1, 1)), "good", NOW)
    assert state == asdict(SM2State(2.5, 6, 2)) and due == NOW + timedelta(days=6)
    state, _ = scheduler.review(state, "hard", NOW)
    assert state["ease"] == pytest.approx(2.5 - 0.32)


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
