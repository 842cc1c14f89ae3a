"""Spaced repetition in the browser: today's due cards, one at a time, and the four grading buttons."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniportal import review
from miniportal.errors import NotFoundError
from miniportal.questions import ItemBank
from miniportal.web import Ctx, context, form, page, redirect, text_field
from minireview.schedulers import BUTTONS

router = APIRouter()


def _card_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError("no such review card")
    return int(raw)


def _label(ctx: Ctx, delta: timedelta) -> str:
    key, n = review.interval_label(delta)
    return ctx.t(key, n=n)


@router.get("/review")
async def review_page(request: Request) -> Response:
    ctx = context(request)
    user = ctx.require_user()
    cap = ctx.portal.settings.review_daily_cap
    with ctx.portal.engine.connect() as conn:
        queue = review.due_queue(ctx.portal, conn, user.id, user.timezone, cap)
    bank: ItemBank = request.app.state.bank
    card = queue.cards[0] if queue.cards else None
    question = bank.get(card.item_id) if card is not None else None
    labels = (
        {b: _label(ctx, d) for b, d in review.next_intervals(card, ctx.portal.now()).items()}
        if card is not None
        else {}
    )
    return page(
        ctx,
        "review.html",
        queue=queue,
        card=card,
        question=question,
        buttons=BUTTONS,
        intervals=labels,
        remaining=len(queue.cards),
    )


@router.post("/review/{card_id}")
async def review_grade(request: Request, card_id: str) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    user = ctx.require_user()
    target = _card_id(card_id)
    button = text_field(fields, "button", max_len=8)
    with ctx.portal.engine.begin() as conn:
        review.review_card(
            ctx.portal,
            conn,
            user.id,
            target,
            button,
            user.timezone,
            ctx.portal.settings.review_daily_cap,
        )
    return redirect(ctx, "/review")
