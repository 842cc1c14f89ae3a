"""The teacher dashboard: `GET /admin/cohort`, its CSV export, and the admin-only scheduler switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lynx_cortex.phases import PHASES
from miniportal import audit, dashboard, review
from miniportal.db import SCHEDULERS
from miniportal.questions import ItemBank
from miniportal.web import context, finish, form, page, redirect, text_field

router = APIRouter()


@router.get("/admin/cohort")
async def cohort_page(request: Request) -> Response:
    ctx = context(request)
    ctx.require_staff()
    with ctx.portal.engine.connect() as conn:
        cohort = dashboard.build(conn, ctx.portal.now())
    bank: ItemBank = request.app.state.bank
    hardest = [(item, bank.get(item.item_id)) for item in cohort.hardest]
    return page(
        ctx,
        "cohort.html",
        cohort=cohort,
        phases=PHASES,
        hardest=hardest,
        schedulers=SCHEDULERS,
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
