"""The daily journal: one page per day in the learner's own time zone, each save an append."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniportal import learning
from miniportal.accounts import User
from miniportal.errors import PortalError
from miniportal.web import context, form, page, redirect, text_field

router = APIRouter()
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today_for(user: User, now: datetime) -> date:
    """The learner's calendar day at `now` (naive UTC, as the portal's clock gives it)."""
    return now.replace(tzinfo=UTC).astimezone(ZoneInfo(user.timezone)).date()


def parse_day(raw: str, user: User, now: datetime) -> date:
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        raise PortalError(f"the date must be YYYY-MM-DD, got {raw[:20]!r}") from None
    if day > today_for(user, now):
        raise PortalError(f"{raw} is in the future (in your time zone, {user.timezone})")
    return day


@router.get("/journal")
async def journal(request: Request) -> Response:
    ctx = context(request)
    user = ctx.require_user()
    with ctx.portal.engine.connect() as conn:
        days = learning.journal_days(conn, user.id)
    return page(
        ctx, "journal_index.html", days=days, today=today_for(user, ctx.portal.now()).isoformat()
    )


@router.get("/journal/{day}")
async def journal_day(request: Request, day: str) -> Response:
    ctx = context(request)
    user = ctx.require_user()
    when = parse_day(day, user, ctx.portal.now())
    with ctx.portal.engine.connect() as conn:
        entries = learning.entries_on(conn, user.id, when)
    return page(ctx, "journal_day.html", day=when.isoformat(), entries=entries)


@router.post("/journal/{day}")
async def journal_append(request: Request, day: str) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    user = ctx.require_user()
    when = parse_day(day, user, ctx.portal.now())
    body = text_field(fields, "body", max_len=learning.MAX_JOURNAL_CHARS + 1024, multiline=True)
    with ctx.portal.engine.begin() as conn:
        learning.add_entry(ctx.portal, conn, user.id, when, body)
    return redirect(ctx, f"/journal/{when.isoformat()}")
