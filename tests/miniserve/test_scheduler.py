"""The schedulers: same tokens as `generate` under concurrency, admission control, and 429s with Retry-After."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.miniserve.conftest import serve

from miniinfer.continuous import DecodeRequest
from miniinfer.generate import generate
from miniinfer.sampling import Greedy
from miniserve.scheduler import make_scheduler
from miniserve.settings import SCHEDULERS, ServeSettings
from miniserve.state import ServeState
from miniserve.tickets import Overloaded

pytestmark = pytest.mark.xdist_group("miniserve")

BODIES: list[dict[str, Any]] = [
    {"prompt": p, "framed": True, "max_tokens": n}
    for p, n in (
        ("He walk.", 30),
        ("Yesterday she goed to the market.", 40),
        ("I will to eat.", 3),
        ("We", 12),
        ("She has went home.", 25),
        ("My brother eat pizza every day.", 1),
    )
]


async def _concurrently(
    base: str, bodies: list[dict[str, Any]], gap_s: float
) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:

        async def one(i: int, body: dict[str, Any]) -> httpx.Response:
            await asyncio.sleep(i * gap_s)  # arrivals at different decode steps
            return await client.post("/v1/generate", json=body)

        return list(await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies))))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_every_scheduler_gives_each_request_its_unbatched_tokens(name: str) -> None:
    settings = ServeSettings(scheduler=name, max_inflight=3, max_batch=3, max_wait_ms=5)
    with serve(settings) as live:
        answers = asyncio.run(_concurrently(live.base, BODIES * 2, gap_s=0.004))
        host = live.state.host
    for body, answer in zip(BODIES * 2, answers, strict=True):
        assert answer.status_code == 200, answer.text
        expected = generate(
            host.model,
            host.encode(body["prompt"], framed=True),
            max_new_tokens=body["max_tokens"],
            strategy=Greedy(),
            seed=0,
            stop_ids=[host.stop_id],
        )
        assert answer.json()["tokens"] == expected
        assert answer.json()["scheduler"] == name


def _job(host: Any, tokens: int) -> DecodeRequest:
    return DecodeRequest(host.encode("He", framed=False), tokens, Greedy(), stop_ids=frozenset())


@pytest.mark.parametrize("name", SCHEDULERS)
def test_a_full_queue_refuses_instead_of_piling_up(name: str) -> None:
    state = ServeState.build(
        ServeSettings(scheduler=name, max_inflight=1, max_batch=1, max_queue=3)
    )
    state.host.load()
    scheduler = make_scheduler(state.host.model, state.settings)
    scheduler.start()

    async def burst() -> tuple[int, list[int]]:
        refused, accepted = 0, []
        tickets = []
        for _ in range(8):
            try:
                tickets.append(scheduler.submit(_job(state.host, 40)))
            except Overloaded as exc:
                refused += 1
                assert exc.retry_after >= 1
        for ticket in tickets:
            accepted.append(len((await ticket).tokens))
        return refused, accepted

    try:
        refused, accepted = asyncio.run(burst())
    finally:
        scheduler.stop()
    assert refused >= 8 - 1 - 3  # one decoding, three waiting: the rest are refused at the door
    assert accepted and all(n == 40 for n in accepted)


def test_continuous_admission_never_exceeds_max_inflight() -> None:
    state = ServeState.build(ServeSettings(scheduler="continuous", max_inflight=2, max_queue=50))
    state.host.load()
    scheduler = make_scheduler(state.host.model, state.settings)
    scheduler.start()
    seen: list[int] = []

    async def run() -> None:
        tickets = [scheduler.submit(_job(state.host, 6 + 3 * i)) for i in range(7)]
        pending = asyncio.gather(*(t.result() for t in tickets))
        while not pending.done():
            seen.append(scheduler.inflight)
            await asyncio.sleep(0.0005)
        results = await pending
        assert [len(r.tokens) for r in results] == [6 + 3 * i for i in range(7)]
        assert max(r.queue_ms for r in results) > 0  # later arrivals waited for a slot

    try:
        asyncio.run(run())
    finally:
        scheduler.stop()
    assert max(seen) <= 2 and 2 in seen


@pytest.mark.parametrize(("name", "together"), [("static", True), ("continuous", False)])
def test_static_batches_answer_together_continuous_does_not(name: str, together: bool) -> None:
    settings = ServeSettings(scheduler=name, max_batch=2, max_inflight=2, max_wait_ms=200)
    state = ServeState.build(settings)
    state.host.load()
    scheduler = make_scheduler(state.host.model, state.settings)
    scheduler.start()

    async def run() -> list[float]:
        tickets = [scheduler.submit(_job(state.host, n)) for n in (2, 60)]
        return [(await t).service_ms for t in tickets]

    try:
        short, long = asyncio.run(run())
    finally:
        scheduler.stop()
    # static: the 2-token answer waits for its 60-token batch-mate; continuous: it leaves after 2 steps
    assert (short >= 0.8 * long) is together, (short, long)


async def _burst(base: str, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:
        return list(await asyncio.gather(*(client.post(path, json=b) for b in bodies)))


def test_http_queue_full_is_429_with_retry_after() -> None:
    settings = ServeSettings(
        scheduler="continuous", max_inflight=1, max_queue=1, tutor_queue=1, tutor_cache=0
    )
    sentences = ["She walk to the park.", "He goed home.", "I has a dog.", "She will to go."]
    with serve(settings) as live:
        generated = asyncio.run(
            _burst(live.base, "/v1/generate", [{"prompt": "He", "max_tokens": 60}] * 6)
        )
        corrected = asyncio.run(
            _burst(live.base, "/v1/grammar/correct", [{"sentence": s} for s in sentences * 2])
        )
        ready = httpx.get(f"{live.base}/readyz", trust_env=False)
        metrics = httpx.get(f"{live.base}/metrics", trust_env=False).text
    for answers in (generated, corrected):
        codes = [a.status_code for a in answers]
        assert set(codes) == {200, 429}, (
            codes
        )  # some served, the rest refused at once: nothing else
        for answer in answers:
            if answer.status_code == 429:
                assert int(answer.headers["retry-after"]) >= 1
                assert answer.json()["error"] == "overloaded"
    assert ready.status_code == 200  # the burst is over: nobody waits, ready again
    assert 'lynx_serve_rejected_total{reason="queue_full"}' in metrics


def test_rate_limit_is_429_with_retry_after_per_client() -> None:
    settings = ServeSettings(rate_per_s=0.5, rate_burst=3)
    with serve(settings) as live, live.client() as client:
        statuses = [client.post("/v1/grammar/correct", json={}).status_code for _ in range(5)]
        limited = client.post("/v1/grammar/correct", json={"sentence": "He walk."})
        health = client.get("/healthz")
    assert statuses[:3] == [422, 422, 422] and statuses[3:] == [429, 429]
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 2
    assert limited.json()["error"] == "rate_limited" and "x-request-id" in limited.headers
    assert health.status_code == 200  # probes are never rate limited


class _Crash(BaseException):
    """Escapes `except Exception`: what a real bug in the worker loop would look like."""


@pytest.mark.parametrize("error", [MemoryError("a step failed"), _Crash("the loop died")])
def test_a_failing_step_fails_its_callers_instead_of_hanging(error: BaseException) -> None:
    state = ServeState.build(ServeSettings(scheduler="continuous", max_inflight=2))
    state.host.load()
    scheduler = make_scheduler(state.host.model, state.settings)
    real_step = scheduler.batcher.step  # type: ignore[attr-defined]

    def explode() -> Any:
        raise error

    scheduler.batcher.step = explode  # type: ignore[attr-defined]
    scheduler.start()

    async def run() -> tuple[list[object], object]:
        tickets = [scheduler.submit(_job(state.host, 5)) for _ in range(4)]
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(t.result() for t in tickets), return_exceptions=True), timeout=20
        )
        scheduler.batcher.step = real_step  # type: ignore[attr-defined]
        try:
            after: object = len(
                (await asyncio.wait_for(scheduler.submit(_job(state.host, 3)).result(), 20)).tokens
            )
        except RuntimeError as exc:
            after = exc
        return list(outcomes), after

    try:
        outcomes, after = asyncio.run(run())
    finally:
        scheduler.stop()
    assert all(o is error for o in outcomes)  # nobody is left waiting
    if isinstance(error, Exception):
        assert after == 3  # one bad step fails its rows; the scheduler serves on
    else:
        assert isinstance(after, RuntimeError) and "stopped" in str(
            after
        )  # a dead worker refuses at once


def test_requests_beyond_the_concurrency_cap_are_refused_at_the_door() -> None:
    settings = ServeSettings(max_concurrent=2, max_inflight=1, max_queue=100, rate_per_s=0)
    body = {"prompt": "He", "max_tokens": 60}
    with serve(settings) as live:
        answers = asyncio.run(_concurrently(live.base, [body] * 8, gap_s=0.0))
        metrics = httpx.get(f"{live.base}/metrics", trust_env=False).text
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) >= 2 and codes.count(429) >= 1 and set(codes) <= {200, 429}
    refused = [a for a in answers if a.status_code == 429]
    assert all(
        a.headers["retry-after"] == "1" and a.json()["error"] == "overloaded" for a in refused
    )
    assert 'lynx_serve_rejected_total{reason="concurrency"}' in metrics
