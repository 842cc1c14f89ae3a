"""Break 34: log lines without `request_id` (nor trace ids), two tenants interleaved, one request fails.

Two tenants (ana and ben) send corrections at the same time; the endpoint logs `tutor.received` (with the
tenant) and, for the request that fails, the access log writes `request.failed` (it knows the exception, not
the tenant). An injected fault — the model worker "crashes" on one of ben's sentences — makes the failure.
A barrier holds each pair of requests until both are in flight, so their lines always interleave.

Healthy: every line carries `request_id` (and `trace_id`), so the failure line points at exactly one
`tutor.received` line — ben's — and at a trace whose server span is marked as an error. Broken: the formatter
drops the ids (the seed drops `request_id` alone; with tracing on, `trace_id` would still join the lines, so
the break drops all three); the only way left to attribute the failure is which requests were open when it
was logged, and that is always both tenants': the failure cannot be attributed.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from fastapi.testclient import TestClient
from opentelemetry.trace import StatusCode

from lynx_cortex.labkit import settings
from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from miniagent.tutor.classify import shared_proposer
from miniagent.tutor.model import ModelProposer, Proposal
from miniagent.tutor.tutor import GrammarTutor
from miniobserve import Metrics, instrument, setup_tracing
from miniobserve.labs.tutorapp import LOGGER, ROUTE, SENTENCES, tutor_app
from miniobserve.logging import configure_logging

TENANTS: Final = ("ana", "ben")
POISON: Final = "She have a big dog."  # ben's second sentence; ana never sends it
FINISHED: Final = frozenset({"request.completed", "request.failed"})


class FaultyProposer:
    """The shipped proposer, except that one sentence makes the model worker fail (the injected fault)."""

    def __init__(self, inner: ModelProposer, poison: str) -> None:
        self.inner = inner
        self.poison = poison

    @property
    def sha(self) -> str:
        return self.inner.sha

    def propose_among(self, sentence: str, candidates: tuple[str, ...]) -> Proposal | None:
        if sentence == self.poison:
            raise RuntimeError("model worker lost its connection")
        return self.inner.propose_among(sentence, candidates)

    def propose(self, sentences: list[str]) -> list[Proposal]:
        return self.inner.propose(sentences)


def _wait(pair: threading.Barrier) -> None:
    pair.wait()


def _plan(requests: int) -> dict[str, list[str]]:
    """Each tenant's sentences; ben's second one is the poison."""
    safe = [s for s in SENTENCES if s != POISON]
    plan = {
        t: [safe[(2 * i + k) % len(safe)] for i in range(requests)] for k, t in enumerate(TENANTS)
    }
    plan["ben"][1] = POISON
    return plan


def run_tenants(requests: int, *, with_ids: bool) -> dict[str, Any]:
    """Serve both tenants at once; return the log lines, each response's ids and status, and the error spans."""
    tracing = setup_tracing("lynx-tutor", exporter="memory")
    logs = io.StringIO()
    pair = threading.Barrier(len(TENANTS), timeout=60)
    try:
        tutor = GrammarTutor(proposer=FaultyProposer(shared_proposer(), POISON))  # type: ignore[arg-type]
        app = tutor_app(tutor, before_correct=lambda tenant: _wait(pair))
        logger = configure_logging(LOGGER, stream=logs, include_ids=with_ids)
        instrument(app, metrics=Metrics(), tracing=tracing, logging=logger)
        with TestClient(app, raise_server_exceptions=False) as client:

            def send(tenant: str) -> list[Any]:  # TestClient's responses
                return [
                    client.post(ROUTE, json={"sentence": s}, headers={"X-Tenant": tenant})
                    for s in _plan(requests)[tenant]
                ]

            with ThreadPoolExecutor(len(TENANTS)) as pool:
                answered = dict(zip(TENANTS, pool.map(send, TENANTS), strict=True))
        error_traces = {
            format(s.context.trace_id, "032x")
            for s in tracing.finished_spans()
            if s.status.status_code == StatusCode.ERROR
        }
    finally:
        tracing.shutdown()
    return {
        "lines": [json.loads(line) for line in logs.getvalue().splitlines()],
        "responses": [
            {
                "tenant": tenant,
                "status": r.status_code,
                "request_id": r.headers["x-request-id"],
                "trace_id": r.headers.get("x-trace-id"),
            }
            for tenant, rs in answered.items()
            for r in rs
        ],
        "error_traces": sorted(error_traces),
    }


def attribute(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """For each `request.failed` line, the `tutor.received` lines it may belong to.

    With `request_id` on the lines: the received line with the same id. Without: every request received
    since the last moment no request was open (received minus finished was zero) — nothing narrower can be
    deduced, because a finished line cannot be matched to the received line it closes.
    """
    found: list[dict[str, Any]] = []
    window_start = 0
    open_requests = 0
    for i, line in enumerate(lines):
        event = line["event"]
        if event == "request.failed":
            if "request_id" in line:
                candidates = [
                    x
                    for x in lines
                    if x["event"] == "tutor.received" and x["request_id"] == line["request_id"]
                ]
            else:
                candidates = [x for x in lines[window_start:i] if x["event"] == "tutor.received"]
            found.append({"failure": line, "candidates": candidates})
        if event == "tutor.received":
            open_requests += 1
        elif event in FINISHED:
            open_requests -= 1
            if open_requests == 0:
                window_start = i + 1
    return found


def _verdict(run: Mapping[str, Any]) -> dict[str, Any]:
    failed = [r for r in run["responses"] if r["status"] >= 500]
    (attempt,) = attribute(run["lines"])  # exactly one request fails
    candidates = attempt["candidates"]
    truth = failed[0]
    pinned = len(candidates) == 1 and candidates[0].get("request_id") == truth["request_id"]
    return {
        "requests": len(run["responses"]),
        "failed_requests": len(failed),
        "failed_tenant": truth["tenant"],
        "log_lines": len(run["lines"]),
        "lines_with_request_id": sum("request_id" in line for line in run["lines"]),
        "candidates": len(candidates),
        "candidate_tenants": sorted({c["tenant"] for c in candidates}),
        "attributed_to_the_failed_request": pinned,
        "trace_confirms": attempt["failure"].get("trace_id") in run["error_traces"]
        and attempt["failure"].get("trace_id") == truth["trace_id"],
    }


@breaks(
    34,
    title="Logs without request ids: two tenants' interleaved lines, one failure nobody can attribute",
    change="the JSON formatter leaves request_id, trace_id and span_id out of every line (include_ids=False)",
)
def logs_without_request_id(ctx: LabContext) -> BreakOutcome:
    cfg = settings(ctx, {"smoke": {"requests": 3}, "default": {"requests": 6}})
    requests = int(cfg["requests"])
    healthy = _verdict(run_tenants(requests, with_ids=True))
    broken = _verdict(run_tenants(requests, with_ids=False))
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=(
            f"without ids the failure line fits {broken['candidates']} received requests "
            f"(tenants {', '.join(broken['candidate_tenants'])}); with them, "
            f"{healthy['candidates']} ({', '.join(healthy['candidate_tenants'])}) and the trace confirms it"
        ),
        detected=healthy["attributed_to_the_failed_request"]
        and healthy["trace_confirms"]
        and broken["candidates"] >= 2
        and set(broken["candidate_tenants"]) == set(TENANTS),
    )


__all__ = ["FaultyProposer", "attribute", "logs_without_request_id", "run_tenants"]
