"""Every endpoint over real HTTP: the tutor, generation (plain, constrained, streamed), health, metrics, errors."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.miniserve.conftest import Live, serve

from miniagent.tutor.tutor import FIELDS, GrammarTutor
from miniinfer.generate import generate
from miniinfer.sampling import Greedy, Temperature
from miniserve.schemas import REQUEST_ID
from miniserve.settings import ServeSettings
from miniserve.state import ServeState

pytestmark = pytest.mark.xdist_group("miniserve")


def test_healthz_and_readyz_after_load(live: Live) -> None:
    with live.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and body["scheduler"] == "continuous"
    assert body["model_sha"] == live.state.host.sha and len(body["model_sha"]) == 64


def test_correct_returns_the_design_contract(live: Live) -> None:
    sentence = "Yesterday she goed to the market."
    with live.client() as client:
        answer = client.post(
            "/v1/grammar/correct", json={"sentence": sentence, "request_id": "abc-1"}
        )
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == list(FIELDS)
    expected = GrammarTutor().correct(sentence).to_json()  # the tutor alone: the oracle
    for key in FIELDS:
        if key not in ("request_id", "duration_ms"):
            assert body[key] == expected[key], key
    assert body["request_id"] == "abc-1"
    assert body["correction"] == "Yesterday she went to the market."


def test_a_repeated_sentence_is_answered_from_the_cache_with_a_fresh_id(live: Live) -> None:
    with live.client() as client:
        first = client.post("/v1/grammar/correct", json={"sentence": "He walk to school."})
        again = client.post("/v1/grammar/correct", json={"sentence": "He walk to school."})
    assert again.headers["x-cache"] == "hit"
    a, b = first.json(), again.json()
    assert a["request_id"] != b["request_id"]
    assert {k: v for k, v in a.items() if k not in ("request_id", "duration_ms")} == {
        k: v for k, v in b.items() if k not in ("request_id", "duration_ms")
    }


def test_out_of_scope_is_declined_not_guessed(live: Live) -> None:
    with live.client() as client:
        body = client.post("/v1/grammar/correct", json={"sentence": "Hola, ¿qué tal?"}).json()
    assert body["in_scope"] is False and body["correction"] is None


def test_generate_matches_the_unbatched_decoder(live: Live) -> None:
    host = live.state.host
    with live.client() as client:
        answer = client.post(
            "/v1/generate", json={"prompt": "He walk to school.", "framed": True, "max_tokens": 40}
        ).json()
    ids = host.encode("He walk to school.", framed=True)
    expected = generate(
        host.model, ids, max_new_tokens=40, strategy=Greedy(), seed=0, stop_ids=[host.stop_id]
    )
    assert answer["tokens"] == expected
    assert answer["finish_reason"] == ("stop" if expected[-1] == host.stop_id else "length")
    assert answer["completion"] == host.decode([t for t in expected if t != host.stop_id])
    assert answer["prompt_tokens"] == len(ids) and answer["completion_tokens"] == len(expected)


def test_sampling_is_seeded(live: Live) -> None:
    host = live.state.host
    body = {"prompt": "She", "max_tokens": 12, "temperature": 1.3, "seed": 7}
    with live.client() as client:
        one = client.post("/v1/generate", json=body).json()["tokens"]
        two = client.post("/v1/generate", json=body).json()["tokens"]
    expected = generate(
        host.model,
        host.encode("She", framed=False),
        max_new_tokens=12,
        strategy=Temperature(1.3),
        seed=7,
        stop_ids=[host.stop_id],
    )
    assert one == two == expected


def test_regex_and_schema_constraints_hold(live: Live) -> None:
    with live.client() as client:
        yes_no = client.post(
            "/v1/generate", json={"prompt": "Is it?", "max_tokens": 8, "regex": "(yes|no)"}
        ).json()
        schema = {
            "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 99}},
            "required": ["n"],
        }
        obj = client.post(
            "/v1/generate", json={"prompt": "N", "max_tokens": 30, "json_schema": schema}
        ).json()
    assert yes_no["completion"] in ("yes", "no") and yes_no["finish_reason"] == "stop"
    assert obj["finish_reason"] == "stop"
    value = json.loads(obj["completion"])
    assert set(value) == {"n"} and 0 <= value["n"] <= 99


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_sse_streams_token_events_then_done(live: Live) -> None:
    body = {"prompt": "He walk.", "framed": True, "max_tokens": 30, "stream": True}
    with live.client() as client, client.stream("POST", "/v1/generate", json=body) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = _events(answer.read().decode())
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"token"} and len(kinds) > 2
    done = events[-1][1]
    tokens = [data["token"] for _, data in events[:-1]]
    assert tokens == done["tokens"]
    assert [data["index"] for _, data in events[:-1]] == list(range(len(tokens)))
    stop = live.state.host.stop_id
    text = "".join(data["text"] for _, data in events[:-1])
    assert text == done["completion"] == live.state.host.decode([t for t in tokens if t != stop])


def test_request_id_is_echoed_or_replaced(live: Live) -> None:
    with live.client() as client:
        kept = client.get("/healthz", headers={"X-Request-ID": "trace.42_a-b"})
        junk = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
        long = client.get("/healthz", headers={"X-Request-ID": "a" * 65})
        none = client.get("/healthz")
    assert kept.headers["x-request-id"] == "trace.42_a-b"
    for answer in (junk, long, none):
        rid = answer.headers["x-request-id"]
        assert REQUEST_ID.fullmatch(rid) and rid not in ("bad id with spaces", "a" * 65)


_HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80
).map(str.strip)  # what a header can carry (HTTP trims surrounding spaces)


@settings(max_examples=25)
@given(_HEADER_TEXT)
def test_any_request_id_header_comes_back_valid(live: Live, header: str) -> None:
    with live.client() as client:
        answer = client.get("/healthz", headers={"X-Request-ID": header})
    rid = answer.headers["x-request-id"]
    assert REQUEST_ID.fullmatch(rid)
    assert (rid == header) == bool(REQUEST_ID.fullmatch(header))


def test_metrics_lists_routes_and_gauges(live: Live) -> None:
    with live.client() as client:
        client.post("/v1/grammar/correct", json={"sentence": "I will to eat."})
        client.post("/v1/grammar/correct", json={})
        client.post("/v1/generate", json={"prompt": "he work", "max_tokens": 4})
        text = client.get("/metrics").text
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
    assert float(values["lynx_batch_size_count"]) >= 1  # every decode step is observed
    assert float(values["lynx_generated_tokens_total"]) >= 1
    assert float(values["lynx_time_to_first_token_seconds_count"]) >= 1
    assert (
        'lynx_http_requests_total{method="POST",route="/v1/grammar/correct",status="200"}' in text
    )
    assert (
        'lynx_http_requests_total{method="POST",route="/v1/grammar/correct",status="422"}' in text
    )
    for name in (
        "lynx_http_request_duration_seconds_bucket",
        "lynx_http_request_duration_seconds_count",
        "lynx_serve_model_ready 1.0",
        "lynx_queue_depth",
        "lynx_serve_inflight_sequences",
        "lynx_generated_tokens_total",
        "lynx_request_cpu_seconds_total",  # phase 34's cost tracker, charged per correction
        "lynx_batch_size_count",
        'lynx_cost_usd_total{component="cpu"}',
    ):
        assert name in text, name


def test_readyz_is_503_until_the_model_is_loaded() -> None:
    gate = threading.Event()

    class HeldBack(ServeState):
        def load(self) -> None:
            gate.wait(30)
            super().load()

    settings_ = ServeSettings(scheduler="none")
    state = HeldBack.build(settings_)
    with serve(settings_, state=state, ready=False) as running, running.client() as client:
        assert client.get("/healthz").status_code == 200
        before = client.get("/readyz")
        refused = client.post("/v1/generate", json={"prompt": "He"})
        gate.set()
        running_ready = _poll_ready(client)
    assert before.status_code == 503 and before.json()["reason"] == "loading"
    assert refused.status_code == 503 and refused.json()["error"] == "not_ready"
    assert refused.headers["retry-after"] == "1"
    assert running_ready.status_code == 200


def _poll_ready(client: httpx.Client) -> httpx.Response:
    for _ in range(3000):
        answer = client.get("/readyz")
        if answer.status_code == 200:
            return answer
        threading.Event().wait(0.01)
    return answer


def test_an_unexpected_error_is_a_500_json_with_the_request_id() -> None:
    settings_ = ServeSettings(scheduler="none")
    state = ServeState.build(settings_)

    async def broken(sentence: str, request_id: str) -> Any:
        raise RuntimeError("a bug")

    with serve(settings_, state=state) as running, running.client() as client:
        state.tutor.correct = broken  # type: ignore[method-assign]
        answer = client.post(
            "/v1/grammar/correct", json={"sentence": "He walk."}, headers={"X-Request-ID": "r-500"}
        )
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal",
        "detail": "an internal error; quote the request id",
        "request_id": "r-500",
    }
    assert answer.headers["x-request-id"] == "r-500"


def test_a_client_that_leaves_a_stream_frees_its_slot() -> None:
    settings_ = ServeSettings(scheduler="continuous", max_inflight=1)
    with serve(settings_) as running:
        scheduler = running.state.scheduler
        assert scheduler is not None
        cancelled: list[int] = []
        real_cancel = scheduler.batcher.cancel  # type: ignore[attr-defined]

        def spy(handle: int) -> None:
            cancelled.append(handle)
            real_cancel(handle)

        scheduler.batcher.cancel = spy  # type: ignore[attr-defined]
        body = {"prompt": "He", "max_tokens": 64, "stream": True}
        with running.client() as client, client.stream("POST", "/v1/generate", json=body) as answer:
            for line in answer.iter_lines():
                if line.startswith("event: token"):
                    break  # leave after the first token: the connection closes here
        for _ in range(500):
            if cancelled:
                break
            threading.Event().wait(0.01)
        with running.client() as client:
            after = client.post("/v1/generate", json={"prompt": "He", "max_tokens": 3})
    assert cancelled, "the abandoned sequence kept its slot"
    assert after.status_code == 200 and len(after.json()["tokens"]) == 3
