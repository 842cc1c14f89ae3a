"""The tutor behind `POST /v1/grammar/correct`, as small as the labs need it (the real service is miniserve).

The labs need an HTTP app to instrument; this one has the service's route and request shape and nothing else
(no scheduler, no security middlewares). The endpoint is a plain `def`, so FastAPI runs each correction in a
worker thread: what a CPU-bound handler must do, and what makes `CostTracker.measure` (thread CPU time) fair.
Corrections run one at a time under a lock: the shipped model keeps its KV cache on the model object, and two
threads decoding at once corrupt each other's cache (seen in break 34's first version: "FastMiniGPT.decode
needs a filled KV cache"). Batching requests safely is the scheduler's job in miniserve.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

from miniagent.tutor.tutor import Correction, GrammarTutor
from miniinfer.prompting import prompt_ids
from minimodel.data import load_tokenizer
from miniobserve.context import request_id_var
from miniobserve.cost import CostTracker

ROUTE: Final = "/v1/grammar/correct"
LOGGER: Final = "lynx.tutor"
SENTENCES: Final = (  # in scope, from data/eval/learners.jsonl: each reaches the model
    "Yesterday she goed to the market.",
    "my brother eat pizza every day",
    "Tomorrow I will to go to the beach.",
    "She have a big dog.",
    "You was very tired last night.",
    "He is going to write a letter to his grandma.",
    "Maria like chocolate very much.",
    "I went to the cinema yesterday.",
)
#: FastAPI's own telemetry off: the "bare" side of a comparison must not trace through the global API.
NO_TELEMETRY: Final = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


class CorrectIn(BaseModel):
    sentence: str = Field(min_length=1, max_length=280)


@dataclass
class TokenCounter:
    """Tokens a correction moved: the prompt the model read and its answer re-encoded (correction, code and
    Spanish, as the model writes them), counted with the shipped tokenizer."""

    tokenizer: Any = None

    def __call__(self, sentence: str, result: Correction) -> int:
        if self.tokenizer is None:
            self.tokenizer = load_tokenizer()
        read = len(prompt_ids(self.tokenizer, sentence))
        proposal = next((s["proposal"] for s in result.trace if s["step"] == "model"), None)
        if proposal is None:  # declined before the model ran
            return read
        answer = " ".join(
            str(proposal.get(k) or "") for k in ("correction", "error_code", "spanish")
        )
        return read + len(self.tokenizer.encode(answer))


def tutor_app(
    tutor: GrammarTutor,
    *,
    cost: CostTracker | None = None,
    native_telemetry: bool = True,
    before_correct: Callable[[str], None] | None = None,
) -> FastAPI:
    """The correction route over `tutor`; with `cost`, each correction's CPU time and tokens are charged.
    `before_correct(tenant)` runs after the request is logged (the break uses it to interleave tenants)."""
    app = FastAPI() if native_telemetry else FastAPI(telemetry=NO_TELEMETRY)  # type: ignore[arg-type]
    log = logging.getLogger(LOGGER)
    count = TokenCounter()
    one_at_a_time = threading.Lock()

    @app.post(ROUTE)
    def correct(body: CorrectIn, x_tenant: str = Header("anonymous")) -> dict[str, Any]:
        log.info("tutor.received", extra={"tenant": x_tenant, "chars": len(body.sentence)})
        if before_correct is not None:
            before_correct(x_tenant)
        request_id = request_id_var.get()
        with one_at_a_time:
            if cost is None:
                result = tutor.correct(body.sentence, request_id=request_id)
            else:
                started = cost.clock()
                result = tutor.correct(body.sentence, request_id=request_id)
                # counting the tokens is bookkeeping, not the correction's CPU: outside the clock
                cost.record(cost.clock() - started, count(body.sentence, result))
        log.info(
            "tutor.completed",
            extra={"tenant": x_tenant, "in_scope": result.in_scope, "ms": result.duration_ms},
        )
        return result.to_json()

    return app


__all__ = ["LOGGER", "NO_TELEMETRY", "ROUTE", "SENTENCES", "CorrectIn", "TokenCounter", "tutor_app"]
