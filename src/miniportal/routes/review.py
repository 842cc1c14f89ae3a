"""Spaced repetition in the browser: today's due cards, one at a time, and the four grading buttons."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniportal import review
from miniportal.errors import NotFoundError
from miniportal.questions import ItemBank
from miniportal.web import context, form, page, redirect, text_field
from minireview.schedulers import BUTTONS

router = APIRouter()


def _card_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError("no such review card")
    return int(raw)


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
    return page(
        ctx,
        "review.html",
        queue=queue,
        card=card,
        question=question,
        buttons=BUTTONS,
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
