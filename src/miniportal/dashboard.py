"""The teacher's view of the cohort, built in a fixed number of queries whatever the cohort's size.

One query per panel over the whole cohort (never one query per learner): learners with their review backlog,
last activity, exam record and per-phase progress (one row a learner; the progress cells also carry the day each
phase last changed, which is the "progress over time" chart), the quiz mean per phase, the
hardest items by first-try correctness, and the cohort's scheduler. With the session lookup that is five
queries; the session's hourly "last seen" refresh can add a sixth, so the page stays within six whatever happens.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Float,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
)

from lynx_cortex.phases import PHASES
from lynx_cortex.quiz import PASS_MARK
from miniportal.db import answers, attempts, progress, review_cards, sessions, users
from miniportal.review import cohort_scheduler

HARDEST_LIMIT = 10


@dataclass(frozen=True)
class LearnerRow:
    id: int
    username: str
    display_name: str
    statuses: dict[int, str]
    backlog: int  # active cards due now
    active_cards: int
    last_login_at: datetime | None
    last_active: datetime | None = (
        None  # the latest of login and the session's (hourly) "last seen"
    )
    exam_attempts: int = 0
    exams_passed: int = 0  # attempts at or above the pass mark
    stale: bool = (
        False  # no activity for `stale_days` (never active: counted from the account's creation)
    )
    done_dates: list[date] = field(default_factory=list)  # when each phase now "done" was marked so

    @property
    def exam_pass_rate(self) -> float | None:
        return self.exams_passed / self.exam_attempts if self.exam_attempts else None

    @property
    def done(self) -> int:
        return sum(1 for s in self.statuses.values() if s == "done")

    @property
    def in_progress(self) -> int:
        return sum(1 for s in self.statuses.values() if s == "in_progress")


@dataclass(frozen=True)
class PhaseStat:
    phase: int
    attempts: int
    mean: float  # mean score fraction over all quiz attempts of the phase


@dataclass(frozen=True)
class HardItem:
    item_id: str
    first_tries: int
    first_try_correct: int

    @property
    def rate(self) -> float:
        return self.first_try_correct / self.first_tries if self.first_tries else 0.0


@dataclass(frozen=True)
class Cohort:
    learners: list[LearnerRow]
    phase_stats: dict[int, PhaseStat]
    hardest: list[HardItem]
    scheduler: str
    stale_days: int = 7

    @property
    def backlog(self) -> int:
        return sum(r.backlog for r in self.learners)

    @property
    def exam_pass_rate(self) -> float | None:
        tried = sum(r.exam_attempts for r in self.learners)
        return sum(r.exams_passed for r in self.learners) / tried if tried else None

    @property
    def stale_count(self) -> int:
        return sum(1 for r in self.learners if r.stale)

    def done_over_time(self) -> list[tuple[date, int]]:
        """(day, phases marked done across the cohort up to that day) for each day something was marked done.

        Built from each phase's current status and its last change, so a phase set back from done drops out of
        the history: this is the cohort's present progress laid out by when it was reached."""
        per_day = Counter(day for r in self.learners for day in r.done_dates)
        total = 0
        timeline = []
        for day in sorted(per_day):
            total += per_day[day]
            timeline.append((day, total))
        return timeline


def _cells(joined: str | None) -> list[tuple[int, str, str]]:
    """(phase, status, YYYY-MM-DD of the last change) from the learners query's aggregated progress column."""
    if not joined:
        return []
    cells = []
    for cell in joined.split(","):
        phase, status, day = cell.split(":")
        cells.append((int(phase), status, day))
    return cells


def is_stale(
    last_active: datetime | None, created_at: datetime, now: datetime, stale_days: int
) -> bool:
    """No activity for `stale_days`; a learner who never came is counted from their account's creation, so a
    fresh invite is not flagged on its first day."""
    return (last_active or created_at) < now - timedelta(days=stale_days)


# The page's statements, built once (`now` is a bound parameter): building these expression trees anew on every
# request cost more than running two of the queries.


_SCORE = cast(attempts.c.correct, Float) / cast(attempts.c.total, Float)


def _learners_statement() -> Select[Any]:
    active = review_cards.c.retired_at.is_(None)
    due = and_(active, review_cards.c.due_at <= bindparam("now", type_=DateTime))
    cards = (
        select(
            review_cards.c.user_id,
            func.sum(case((due, 1), else_=0)).label("backlog"),
            func.sum(case((active, 1), else_=0)).label("active_cards"),
        )
        .group_by(review_cards.c.user_id)
        .subquery()
    )
    # A learner's statuses as one "phase:status:YYYY-MM-DD" list: 50 rows instead of 2,100 (one per phase
    # with a status) halves what SQLite hands back and what SQLAlchemy converts, the page's largest cost.
    # aggregate_strings is group_concat on SQLite and string_agg on PostgreSQL; neither separator can occur
    # in a phase number, a status (CHECK constraint) or a date.
    cell = (
        cast(progress.c.phase, String)
        + ":"
        + progress.c.status
        + ":"
        + func.substr(cast(progress.c.updated_at, String), 1, 10)
    )
    strips = (
        select(progress.c.user_id, func.aggregate_strings(cell, ",").label("cells"))
        .group_by(progress.c.user_id)
        .subquery()
    )
    seen = (
        select(sessions.c.user_id, func.max(sessions.c.last_seen_at).label("last_seen"))
        .group_by(sessions.c.user_id)
        .subquery()
    )
    exams = (  # the same pass rule as the exam page: correct / total >= PASS_MARK
        select(
            attempts.c.user_id,
            func.count().label("tried"),
            func.sum(case((_SCORE >= PASS_MARK, 1), else_=0)).label("passed"),
        )
        .where(attempts.c.source == "exam", attempts.c.total > 0)
        .group_by(attempts.c.user_id)
        .subquery()
    )
    return (
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.last_login_at,
            func.coalesce(cards.c.backlog, 0),
            func.coalesce(cards.c.active_cards, 0),
            strips.c.cells,
            seen.c.last_seen,
            func.coalesce(exams.c.tried, 0),
            func.coalesce(exams.c.passed, 0),
            users.c.created_at,
        )
        .select_from(
            users.outerjoin(cards, cards.c.user_id == users.c.id)
            .outerjoin(seen, seen.c.user_id == users.c.id)
            .outerjoin(exams, exams.c.user_id == users.c.id)
            .outerjoin(strips, strips.c.user_id == users.c.id)
        )
        .where(users.c.role == "student", users.c.disabled_at.is_(None))
        .order_by(users.c.username)
    )


_LEARNERS = _learners_statement()
_PHASE_STATS = (
    select(attempts.c.phase, func.count(), func.avg(_SCORE))
    .where(attempts.c.source == "quiz", attempts.c.phase.is_not(None), attempts.c.total > 0)
    .group_by(attempts.c.phase)
)
_RIGHT = func.sum(case((answers.c.correct, 1), else_=0))
_HARDEST = (
    select(answers.c.item_id, func.count(), _RIGHT)
    .where(answers.c.first_try)
    .group_by(answers.c.item_id)
    .order_by(cast(_RIGHT, Float) / cast(func.count(), Float), answers.c.item_id)
    .limit(HARDEST_LIMIT)
)


def build(conn: Connection, now: datetime, *, stale_days: int = 7) -> Cohort:
    learners = []
    for r in conn.execute(_LEARNERS, {"now": now}).all():  # one row per learner
        last_active = max((t for t in (r[3], r[7]) if t is not None), default=None)
        row = LearnerRow(
            int(r[0]),
            r[1],
            r[2],
            {},
            int(r[4]),
            int(r[5]),
            r[3],
            last_active=last_active,
            exam_attempts=int(r[8]),
            exams_passed=int(r[9]),
            stale=is_stale(last_active, r[10], now, stale_days),
        )
        for phase, status, day in _cells(r[6]):
            row.statuses[phase] = status
            if status == "done":
                row.done_dates.append(date.fromisoformat(day))
        learners.append(row)
    phase_stats = {
        int(phase): PhaseStat(int(phase), int(count), float(mean or 0.0))
        for phase, count, mean in conn.execute(_PHASE_STATS).all()
    }
    hardest = [
        HardItem(item_id, int(n), int(ok or 0)) for item_id, n, ok in conn.execute(_HARDEST).all()
    ]
    return Cohort(learners, phase_stats, hardest, cohort_scheduler(conn), stale_days)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """Spreadsheet-safe text: a leading formula character is neutralised with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(cohort: Cohort) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["username", "display_name", "phases_done", "review_backlog", "active_cards"]
        + [f"phase_{p.code}" for p in PHASES]
    )
    for r in cohort.learners:
        writer.writerow(
            [_cell(r.username), _cell(r.display_name), r.done, r.backlog, r.active_cards]
            + [r.statuses.get(p.number, "not_started") for p in PHASES]
        )
    return out.getvalue()
