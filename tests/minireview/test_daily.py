"""The review day in the learner's time zone, including the 23- and 25-hour days of DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minireview.daily import DAILY_CAP, day_bounds, remaining_today


def test_utc_day() -> None:
    assert day_bounds(datetime(2026, 6, 1, 23, 59), "UTC") == (
        datetime(2026, 6, 1),
        datetime(2026, 6, 2),
    )


def test_madrid_after_midnight_is_already_tomorrow() -> None:
    start, end = day_bounds(datetime(2026, 6, 1, 22, 30), "Europe/Madrid")  # 00:30 local on 06-02
    assert (start, end) == (datetime(2026, 6, 1, 22, 0), datetime(2026, 6, 2, 22, 0))


def test_dst_days_are_23_and_25_hours_long() -> None:
    spring = day_bounds(datetime(2026, 3, 29, 12, 0), "Europe/Madrid")
    autumn = day_bounds(datetime(2026, 10, 25, 12, 0), "Europe/Madrid")
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)


@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)),
    zone=st.sampled_from(["UTC", "Europe/Madrid", "America/Mexico_City", "Pacific/Auckland"]),
)
def test_now_is_always_inside_its_day(moment: datetime, zone: str) -> None:
    start, end = day_bounds(moment, zone)
    assert start <= moment < end
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)
    assert day_bounds(moment.replace(tzinfo=UTC), zone) == (start, end)  # aware input agrees


def test_remaining_today() -> None:
    assert DAILY_CAP == 30
    assert [remaining_today(d) for d in (0, 29, 30, 45)] == [30, 1, 0, 0]
    with pytest.raises(ValueError, match="must be >= 0"):
        remaining_today(-1)


def test_unknown_time_zone_is_named() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        day_bounds(datetime(2026, 1, 1), "Mars/Olympus")
