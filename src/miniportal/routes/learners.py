"""A teacher's drill-down into one learner: `GET /cohort/<username>` and the audited reads of their writing.

To a student every address here is "page not found", exactly like an address that does not exist: the portal
never confirms to a learner that another learner (or this area) exists. Teachers and admins see every active
student (there is one cohort). Opening a learner's notes or journal writes an audit row naming the learner, in
the same transaction as the read, so a read the log cannot record does not happen.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from lynx_cortex.phases import PHASES
from miniportal import audit, charts, dashboard, learner, learning, strips
from miniportal.accounts import User
from miniportal.errors import NotFoundError
from miniportal.web import Ctx, context, page, redirect

router = APIRouter()


def _staff_or_404(ctx: Ctx) -> User:
    user = ctx.require_user()
    if not user.is_staff:
        raise NotFoundError("page not found")
    return user


def _scores_chart(ctx: Ctx, detail: learner.Detail) -> Markup:
    if not detail.attempts:
        return charts.line_chart(
            [], label=ctx.t("learner.scores"), y_max=1.0, y_top="100 %", empty=ctx.t("chart.empty")
        )
    first = detail.attempts[0].submitted_at
    points = [
        charts.Point(
            (a.submitted_at - first).total_seconds(),
            a.score,
            f"{a.submitted_at:%Y-%m-%d} · {a.source} {a.ref}: {100 * a.score:.0f} %",
        )
        for a in detail.attempts
    ]
    return charts.line_chart(
        points,
        label=ctx.t("learner.scores"),
        y_max=1.0,
        y_top="100 %",
        x_first=f"{first:%Y-%m-%d}",
        x_last=f"{detail.attempts[-1].submitted_at:%Y-%m-%d}",
        empty=ctx.t("chart.empty"),
    )


@router.get("/cohort/{username}")
async def learner_page(request: Request, username: str) -> Response:
    ctx = context(request)
    _staff_or_404(ctx)
    with ctx.portal.engine.connect() as conn:
        detail = learner.build(conn, username, ctx.portal.now())
    stale = dashboard.is_stale(
        detail.last_active,
        detail.learner.created_at,
        ctx.portal.now(),
        ctx.portal.settings.stale_days,
    )
    return page(
        ctx,
        "learner.html",
        d=detail,
        phases=PHASES,
        stale=stale,
        strip=strips.strip,
        scores_chart=_scores_chart(ctx, detail),
        minutes=int(detail.time_on_task.total_seconds() // 60),
    )


@router.get("/cohort/{username}/notes")
async def learner_notes(request: Request, username: str) -> Response:
    ctx = context(request)
    reader = _staff_or_404(ctx)
    with ctx.portal.engine.begin() as conn:
        who = learner.find_learner(conn, username)
        audit.record(
            ctx.portal, conn, "learner.notes_read", actor_id=reader.id, ip=ctx.ip, subject_id=who.id
        )
        notes = learning.notes_for(conn, who.id)
    return page(ctx, "learner_writing.html", who=who, kind="notes", notes=notes, entries=[])


@router.get("/cohort/{username}/journal")
async def learner_journal(request: Request, username: str) -> Response:
    ctx = context(request)
    reader = _staff_or_404(ctx)
    with ctx.portal.engine.begin() as conn:
        who = learner.find_learner(conn, username)
        audit.record(
            ctx.portal,
            conn,
            "learner.journal_read",
            actor_id=reader.id,
            ip=ctx.ip,
            subject_id=who.id,
        )
        entries = learning.recent_entries(conn, who.id)
    return page(ctx, "learner_writing.html", who=who, kind="journal", notes=[], entries=entries)


@router.get("/admin/students/{username}")
async def old_address(request: Request, username: str) -> Response:
    """The seed's address for this page; it leads to the same place (and is as invisible to students)."""
    ctx = context(request)
    _staff_or_404(ctx)
    with ctx.portal.engine.connect() as conn:
        who = learner.find_learner(conn, username)
    return redirect(ctx, f"/cohort/{who.username}")
