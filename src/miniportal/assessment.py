"""Submitting a quiz or an exam: grade, store the attempt and its answers, seed review cards, in one transaction.

`first_try` marks the learner's first answer to an item ever (whatever quiz or exam it came in); the dashboard's
"hardest items" ranks items by first-try correctness, which later re-sits cannot inflate.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from miniportal import learning
from miniportal.db import answers, attempts
from miniportal.questions import Graded
from miniportal.review import cohort_scheduler, seed_cards
from miniportal.service import Portal


@dataclass(frozen=True)
class Submitted:
    attempt_id: int
    correct: int
    total: int
    cards: int  # review cards created or reactivated


def submit(
    portal: Portal,
    conn: Connection,
    user_id: int,
    *,
    source: str,
    ref: str,
    phase: int | None,
    graded: list[Graded],
) -> Submitted:
    ids = [g.question.id for g in graded]
    seen = set(
        conn.execute(
            select(answers.c.item_id)
            .where(answers.c.user_id == user_id, answers.c.item_id.in_(ids))
            .distinct()
        ).scalars()
    )
    correct = sum(1 for g in graded if g.correct)
    attempt_id = int(
        conn.execute(
            insert(attempts)
            .values(
                user_id=user_id,
                source=source,
                ref=ref,
                phase=phase,
                correct=correct,
                total=len(graded),
                submitted_at=portal.now(),
            )
            .returning(attempts.c.id)
        ).scalar_one()
    )
    if graded:
        conn.execute(
            insert(answers),
            [
                {
                    "attempt_id": attempt_id,
                    "user_id": user_id,
                    "item_id": g.question.id,
                    "response": g.response,
                    "correct": g.correct,
                    "first_try": g.question.id not in seen,
                }
                for g in graded
            ],
        )
    # Only a wrong answer makes a card: an item left blank was never attempted, so there is nothing to review.
    wrong = [g.question.id for g in graded if g.answered and not g.correct]
    cards = seed_cards(portal, conn, user_id, wrong, cohort_scheduler(conn)) if wrong else 0
    if phase is not None and learning.statuses(conn, user_id).get(phase) != "done":
        learning.set_status(portal, conn, user_id, phase, "in_progress")
    return Submitted(attempt_id, correct, len(graded), cards)
