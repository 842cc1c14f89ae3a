"""The review day: "today" in the learner's time zone, expressed as a UTC interval, and the daily cap.

The portal stores every time as naive UTC; a learner in Madrid who reviews at 00:30 local time is on a new day
even though UTC is still on the previous one. These helpers turn (now in UTC, time zone) into the UTC bounds of
the learner's calendar day, so "due today" and "reviews done today" are both plain range queries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAILY_CAP: Final = 30


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r}") from None


def _as_utc(now: datetime) -> datetime:
    """Accept naive UTC (the portal's convention) or an aware time."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    """The learner's calendar date at `moment` (naive UTC or aware): what "which day was this" means to them."""
    return _as_utc(moment).astimezone(_zone(timezone)).date()


def day_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The learner's current calendar day as [start, end) in naive UTC (23 or 25 hours on DST days)."""
    zone = _zone(timezone)
    local_day = _as_utc(now).astimezone(zone).date()
    start = datetime.combine(local_day, time.min, tzinfo=zone)
    end = datetime.combine(local_day + timedelta(days=1), time.min, tzinfo=zone)
    return (
        start.astimezone(UTC).replace(tzinfo=None),
        end.astimezone(UTC).replace(tzinfo=None),
    )


def remaining_today(done_today: int, cap: int = DAILY_CAP) -> int:
    """How many more reviews the learner may do today (never negative)."""
    if cap < 0 or done_today < 0:
        raise ValueError(f"cap and done_today must be >= 0, got cap={cap}, done_today={done_today}")
    return max(0, cap - done_today)
