"""The teacher dashboard: `GET /admin/cohort`, its CSV export, and the admin-only scheduler switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from lynx_cortex.phases import PHASES
from miniportal import audit, charts, dashboard, review, strips
from miniportal.db import SCHEDULERS
from miniportal.questions import ItemBank
from miniportal.web import Ctx, context, finish, form, page, redirect, text_field

router = APIRouter()


def _charts(ctx: Ctx, cohort: dashboard.Cohort) -> tuple[Markup, Markup]:
    """Progress over time (phases done across the cohort, by day) and the quiz mean per phase."""
    timeline = cohort.done_over_time()
    empty = ctx.t("chart.empty")
    most = timeline[-1][1] if timeline else 0
    progress = charts.line_chart(
        [
            charts.Point(float(day.toordinal()), float(total), f"{day.isoformat()}: {total}")
            for day, total in timeline
        ],
        label=ctx.t("cohort.chart_progress"),
        y_max=float(most),
        y_top=str(most),
        x_first=timeline[0][0].isoformat() if timeline else "",
        x_last=timeline[-1][0].isoformat() if timeline else "",
        empty=empty,
    )
    stats = [cohort.phase_stats[p.number] for p in PHASES if p.number in cohort.phase_stats]
    means = charts.bar_chart(
        [
            (f"{s.phase:02d}", s.mean, f"{s.phase:02d}: {100 * s.mean:.0f} % ({s.attempts})")
            for s in stats
        ],
        label=ctx.t("cohort.quiz_means"),
        y_max=1.0,
        y_top="100 %",
        empty=empty,
    )
    return progress, means


@router.get("/admin/cohort")
async def cohort_page(request: Request) -> Response:
    ctx = context(request)
    ctx.require_staff()
    with ctx.portal.engine.connect() as conn:
        cohort = dashboard.build(conn, ctx.portal.now(), stale_days=ctx.portal.settings.stale_days)
    bank: ItemBank = request.app.state.bank
    hardest = [(item, bank.get(item.item_id)) for item in cohort.hardest]
    progress_chart, means_chart = _charts(ctx, cohort)
    return page(
        ctx,
        "cohort.html",
        cohort=cohort,
        phases=PHASES,
        hardest=hardest,
        schedulers=SCHEDULERS,
        progress_chart=progress_chart,
        means_chart=means_chart,
        strip=strips.strip,
    )


@router.get("/admin/cohort.csv")
async def cohort_csv(request: Request) -> Response:
    ctx = context(request)
    ctx.require_staff()
    with ctx.portal.engine.connect() as conn:
        cohort = dashboard.build(conn, ctx.portal.now())
    response = Response(
        dashboard.to_csv(cohort),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="cohort.csv"'},
    )
    return finish(ctx, response)


@router.post("/admin/cohort/scheduler")
async def set_scheduler(request: Request) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    actor = ctx.require_admin()
    name = text_field(fields, "scheduler", max_len=8)
    with ctx.portal.engine.begin() as conn:
        review.set_cohort_scheduler(ctx.portal, conn, name)
        audit.record(
            ctx.portal, conn, "cohort.scheduler", actor_id=actor.id, ip=ctx.ip, scheduler=name
        )
    return redirect(ctx, "/admin/cohort")
