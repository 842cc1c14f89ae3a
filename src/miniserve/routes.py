"""The endpoints: the tutor, generation (plain and streamed), health, readiness and metrics."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from miniinfer.continuous import DecodeRequest, fits
from miniinfer.sampling import Greedy, Strategy, Temperature
from miniserve.errors import FieldError
from miniserve.host import GrammarError
from miniserve.middleware import request_id_of
from miniserve.scheduler import Scheduler
from miniserve.schemas import CorrectRequest, GenerateRequest
from miniserve.state import ServeState
from miniserve.tickets import Ticket

router = APIRouter()


def _state(request: Request) -> ServeState:
    state: ServeState = request.app.state.serve
    return state


def _ready(state: ServeState) -> Scheduler:
    if not state.ready.is_set() or state.scheduler is None:
        raise HTTPException(503, "the model is still loading", headers={"Retry-After": "1"})
    if state.scheduler.failure is not None:
        raise HTTPException(503, "the decoding worker stopped; restart the service")
    return state.scheduler


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers (an orchestrator restarts it when this fails)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: the model is loaded and sha256-verified, and the waiting line is not full."""
    state = _state(request)
    body: dict[str, Any] = {"ready": False, "scheduler": state.settings.scheduler}
    if state.load_error is not None:
        body["reason"] = state.load_error
    elif not state.ready.is_set() or state.scheduler is None:
        body["reason"] = "loading"
    elif state.scheduler.failure is not None:
        body["reason"] = f"the decoding worker stopped: {state.scheduler.failure!r}"
    elif state.scheduler.waiting >= state.settings.max_queue > 0:
        body["reason"] = "saturated"
    else:
        body.update(ready=True, model=state.settings.model, model_sha=state.host.sha)
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


@router.post("/v1/grammar/correct")
async def correct(body: CorrectRequest, request: Request, response: Response) -> dict[str, Any]:
    """DESIGN §9: the tutor's correction of one sentence."""
    state = _state(request)
    _ready(state)
    rid = body.request_id or request_id_of(request.scope)
    answer, hit = await state.tutor.correct(body.sentence, rid)
    response.headers["X-Cache"] = "hit" if hit else "miss"
    return answer


def _job(state: ServeState, body: GenerateRequest) -> tuple[DecodeRequest, int]:
    """The decode job for a request, or a `FieldError` naming what makes it impossible."""
    if body.max_tokens > state.settings.max_tokens:
        raise FieldError("max_tokens", f"max_tokens may be at most {state.settings.max_tokens}")
    host = state.host
    prompt = host.encode(body.prompt, framed=body.framed)
    if not fits(len(prompt), body.max_tokens, host.context_len):
        room = host.context_len + 1 - len(prompt)
        field = "prompt" if room < 1 else "max_tokens"
        raise FieldError(
            field,
            f"the prompt is {len(prompt)} tokens; with the model's window of {host.context_len} "
            f"at most {max(room, 0)} new tokens fit",
        )
    try:
        mask = host.mask(body.regex, body.json_schema)
    except GrammarError as exc:
        raise FieldError(exc.field, str(exc)) from None
    strategy: Strategy = Temperature(body.temperature) if body.temperature > 0 else Greedy()
    job = DecodeRequest(
        prompt=prompt,
        max_new_tokens=body.max_tokens,
        strategy=strategy,
        seed=body.seed,
        stop_ids=frozenset({host.stop_id}),
        mask=mask,
    )
    return job, len(prompt)


def _answer(
    state: ServeState, ticket: Ticket, tokens: list[int], rid: str, prompt_len: int, started: float
) -> dict[str, Any]:
    stop = state.host.stop_id
    finished = bool(tokens) and tokens[-1] == stop
    text_ids = tokens[:-1] if finished else tokens
    started_at = ticket.started if ticket.started is not None else ticket.enqueued
    return {
        "request_id": rid,
        "completion": state.host.decode(text_ids),
        "tokens": tokens,
        "finish_reason": "stop" if finished else "length",
        "prompt_tokens": prompt_len,
        "completion_tokens": len(tokens),
        "scheduler": state.settings.scheduler,
        "queue_ms": round((started_at - ticket.enqueued) * 1000, 3),
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "model_sha": state.host.sha,
    }


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/v1/generate", response_model=None)
async def generate(body: GenerateRequest, request: Request) -> dict[str, Any] | StreamingResponse:
    """A completion of `prompt`, greedy or sampled, optionally under a regex / JSON Schema; or its SSE stream."""
    started = time.perf_counter()
    state = _state(request)
    scheduler = _ready(state)
    rid = body.request_id or request_id_of(request.scope)
    job, prompt_len = _job(state, body)
    ticket = scheduler.submit(job)  # Overloaded → 429 before any byte of the answer
    if not body.stream:
        try:
            done = await ticket.result()
        finally:
            ticket.cancel()  # a no-op once finished; frees the slot if the client went away
        state.metrics.generated(len(done.tokens), *ticket.timings())
        return _answer(state, ticket, done.tokens, rid, prompt_len, started)

    async def events() -> AsyncIterator[str]:
        tokens: list[int] = []
        text = ""
        try:
            async for token in ticket.tokens():
                tokens.append(token)
                now = state.host.decode([t for t in tokens if t != state.host.stop_id])
                delta, text = (now[len(text) :], now) if now.startswith(text) else (now, now)
                yield _event("token", {"index": len(tokens) - 1, "token": token, "text": delta})
            state.metrics.generated(len(tokens), *ticket.timings())
            yield _event("done", _answer(state, ticket, tokens, rid, prompt_len, started))
        except (
            Exception
        ) as exc:  # the stream has started: report in-band, the status is already 200
            yield _event(
                "error", {"error": "generation_failed", "detail": str(exc), "request_id": rid}
            )
        finally:
            ticket.cancel()

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


__all__ = ["router"]
