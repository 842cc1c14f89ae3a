"""Ask the tutor: a learner types an English sentence and sees the correction, why, and the Spanish.

The call is made server side (the browser never talks to the tutor service, so it needs no CORS and sees no
internal address) with the learner's locale picking the explanation. Login is required: the tutor costs CPU,
and an open form would make the portal a free proxy to it.
"""

from __future__ import annotations

import secrets

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniportal.tutorclient import MAX_SENTENCE, TutorReply, TutorUnavailableError, ask_tutor
from miniportal.web import context, form, page, text_field

router = APIRouter()


def _client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.tutor_http
    return client


def _tutor_url(request: Request) -> str | None:
    url: str | None = request.app.state.tutor_url
    return url


@router.get("/tutor")
async def tutor_form(request: Request) -> Response:
    ctx = context(request)
    ctx.require_user()
    configured = _tutor_url(request) is not None
    return page(ctx, "tutor.html", sentence="", reply=None, problem=None, configured=configured)


@router.post("/tutor")
async def tutor_ask(request: Request) -> Response:
    ctx = context(request)
    fields = await form(ctx)
    ctx.require_user()
    sentence = text_field(fields, "sentence", max_len=MAX_SENTENCE).strip()
    base_url = _tutor_url(request)
    reply: TutorReply | None = None
    problem: str | None = None
    if base_url is None:
        problem = "unconfigured"
    else:
        try:
            reply = await ask_tutor(
                _client(request), base_url, sentence, request_id=secrets.token_hex(8)
            )
        except TutorUnavailableError as exc:
            problem = exc.reason
    return page(
        ctx,
        "tutor.html",
        status=200 if problem is None else 503,
        sentence=sentence,
        reply=reply,
        problem=problem,
        configured=base_url is not None,
    )
