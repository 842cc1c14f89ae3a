"""The teacher's view of the cohort, built in a fixed number of queries whatever the cohort's size.

One query per panel over the whole cohort (never one query per learner): learners with their review backlog and
per-phase progress (one join, at most 42 rows a learner), the quiz mean per phase, the hardest items by
first-try correctness, and the cohort's scheduler. With the session lookup that is five queries; the session's
hourly "last seen" refresh can add a sixth, so the page stays within six whatever happens.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Float, and_, case, cast, func, select

from lynx_cortex.phases import PHASES
from miniportal.db import answers, attempts, progress, review_cards, users
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

    @property
    def backlog(self) -> int:
        return sum(r.backlog for r in self.learners)


def build(conn: Connection, now: datetime) -> Cohort:
    active = review_cards.c.retired_at.is_(None)
    cards = (
        select(
            review_cards.c.user_id,
            func.sum(case((and_(active, review_cards.c.due_at <= now), 1), else_=0)).label(
                "backlog"
            ),
            func.sum(case((active, 1), else_=0)).label("active_cards"),
        )
        .group_by(review_cards.c.user_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.last_login_at,
            func.coalesce(cards.c.backlog, 0),
            func.coalesce(cards.c.active_cards, 0),
            progress.c.phase,
            progress.c.status,
        )
        .select_from(
            users.outerjoin(cards, cards.c.user_id == users.c.id).outerjoin(
                progress, progress.c.user_id == users.c.id
            )
        )
        .where(users.c.role == "student", users.c.disabled_at.is_(None))
        .order_by(users.c.username, progress.c.phase)
    ).all()
    by_user: dict[int, LearnerRow] = {}
    for r in (
        rows
    ):  # one row per (learner, phase with a status), or one bare row for a learner without any
        row = by_user.get(int(r[0]))
        if row is None:
            row = LearnerRow(int(r[0]), r[1], r[2], {}, int(r[4]), int(r[5]), r[3])
            by_user[row.id] = row
        if r[6] is not None:
            row.statuses[int(r[6])] = r[7]
    learners = list(by_user.values())
    score = cast(attempts.c.correct, Float) / cast(attempts.c.total, Float)
    phase_stats = {
        int(phase): PhaseStat(int(phase), int(count), float(mean or 0.0))
        for phase, count, mean in conn.execute(
            select(attempts.c.phase, func.count(), func.avg(score))
            .where(attempts.c.source == "quiz", attempts.c.phase.is_not(None), attempts.c.total > 0)
            .group_by(attempts.c.phase)
        ).all()
    }
    right = func.sum(case((answers.c.correct, 1), else_=0))
    tries = func.count()
    hardest = [
        HardItem(item_id, int(n), int(ok or 0))
        for item_id, n, ok in conn.execute(
            select(answers.c.item_id, tries, right)
            .where(answers.c.first_try)
            .group_by(answers.c.item_id)
            .order_by(cast(right, Float) / cast(tries, Float), answers.c.item_id)
            .limit(HARDEST_LIMIT)
        ).all()
    ]
    return Cohort(learners, phase_stats, hardest, cohort_scheduler(conn))


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
