"""Metrics by route template, errors, in-flight, exposition, and histograms that add up."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from tests.miniobserve.conftest import Stack

from miniobserve.metrics import (
    LATENCY_BUCKETS,
    METRICS,
    Metrics,
    exported_series,
    markdown_table,
)
from miniobserve.routes import UNMATCHED

pytestmark = pytest.mark.anyio


def _requests(metrics: Metrics, route: str, method: str, status: int) -> float:
    value = metrics.sample_value(
        "lynx_http_requests_total", {"route": route, "method": method, "status": str(status)}
    )
    return value or 0.0


async def test_requests_are_labelled_by_route_template_not_raw_path(stack: Stack) -> None:
    metrics = stack.obs.metrics
    assert metrics is not None
    async with stack.client() as client:
        for item in (1, 2, 3, 99999):
            assert (await client.get(f"/v1/items/{item}")).status_code == 200
        assert (await client.get("/no/such/path")).status_code == 404
        assert (await client.get("/v1/items/not-a-number")).status_code == 422
    assert _requests(metrics, "/v1/items/{item_id}", "GET", 200) == 4
    assert _requests(metrics, "/v1/items/{item_id}", "GET", 422) == 1
    assert _requests(metrics, UNMATCHED, "GET", 404) == 1
    body, _ = metrics.render()
    routes = {
        sample.labels["route"]
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if "route" in sample.labels
    }
    assert routes == {"/v1/items/{item_id}", UNMATCHED}  # no raw path ever becomes a label


async def test_errors_count_5xx_and_crashes_but_not_4xx(stack: Stack) -> None:
    metrics = stack.obs.metrics
    assert metrics is not None
    async with stack.client() as client:
        assert (await client.get("/unavailable")).status_code == 503
        assert (await client.get("/boom")).status_code == 500
        assert (await client.get("/v1/items/x")).status_code == 422

    def errors(route: str) -> float:
        return (
            metrics.sample_value(
                "lynx_http_request_errors_total", {"route": route, "method": "GET"}
            )
            or 0.0
        )

    assert errors("/unavailable") == 1 and errors("/boom") == 1
    assert errors("/v1/items/{item_id}") == 0
    assert _requests(metrics, "/boom", "GET", 500) == 1


async def test_in_flight_counts_the_request_being_served_and_returns_to_zero(stack: Stack) -> None:
    async with stack.client() as client:
        seen = (await client.get("/in-flight")).json()["in_flight"]
        together = await asyncio.gather(*(client.get("/v1/items/1") for _ in range(5)))
    assert seen == 1.0
    assert all(r.status_code == 200 for r in together)
    assert stack.obs.metrics is not None
    assert stack.obs.metrics.sample_value("lynx_http_requests_in_flight") == 0.0


async def test_metrics_route_serves_the_exposition_format_and_is_not_itself_counted(
    stack: Stack,
) -> None:
    async with stack.client() as client:
        await client.get("/v1/items/7")
        first = await client.get("/metrics")
        second = await client.get("/metrics")
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(second.text)}
    assert {spec.name for spec in METRICS} <= set(families)
    routes = {s.labels.get("route") for s in families["lynx_http_requests"].samples}
    assert routes == {"/v1/items/{item_id}"}  # scrapes are skipped


def test_each_metrics_object_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()  # the global registry would raise "Duplicated timeseries" here
    a.observe_request("/x", "GET", 200, 0.01)
    assert (
        a.sample_value(
            "lynx_http_requests_total", {"route": "/x", "method": "GET", "status": "200"}
        )
        == 1
    )
    assert (
        b.sample_value(
            "lynx_http_requests_total", {"route": "/x", "method": "GET", "status": "200"}
        )
        is None
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=120.0, allow_nan=False), min_size=1, max_size=40)
)
def test_latency_histogram_adds_up(durations: list[float]) -> None:
    metrics = Metrics()
    for seconds in durations:
        metrics.observe_request("/r", "GET", 200, seconds)
    labels = {"route": "/r", "method": "GET", "status": "200"}
    assert metrics.sample_value("lynx_http_request_duration_seconds_count", labels) == len(
        durations
    )
    assert metrics.sample_value("lynx_http_request_duration_seconds_sum", labels) == pytest.approx(
        sum(durations)
    )
    cumulative = [
        metrics.sample_value("lynx_http_request_duration_seconds_bucket", {**labels, "le": str(le)})
        for le in LATENCY_BUCKETS
    ]
    assert cumulative == [sum(d <= le for d in durations) for le in LATENCY_BUCKETS]
    inf = metrics.sample_value(
        "lynx_http_request_duration_seconds_bucket", {**labels, "le": "+Inf"}
    )
    assert inf == len(durations)


def test_generation_batch_queue_and_cost_helpers() -> None:
    metrics = Metrics()
    metrics.observe_generation(tokens=24, decode_seconds=0.3, ttft_seconds=0.05)
    metrics.observe_generation(tokens=16, decode_seconds=0.1, ttft_seconds=0.02)
    metrics.observe_batch(4)
    metrics.set_queue_depth(7)
    assert metrics.sample_value("lynx_generated_tokens_total") == 40
    assert metrics.sample_value("lynx_decode_duration_seconds_sum") == pytest.approx(0.4)
    assert metrics.sample_value("lynx_time_to_first_token_seconds_count") == 2
    assert metrics.sample_value("lynx_batch_size_bucket", {"le": "4.0"}) == 1
    assert metrics.sample_value("lynx_batch_size_bucket", {"le": "2.0"}) == 0
    assert metrics.sample_value("lynx_queue_depth") == 7
    with pytest.raises(ValueError, match="negative"):
        metrics.observe_generation(tokens=-1, decode_seconds=0.1, ttft_seconds=0.0)


def test_series_and_docs_table_cover_every_metric() -> None:
    names = exported_series()
    assert (
        "lynx_http_requests_total" in names and "lynx_http_request_duration_seconds_bucket" in names
    )
    assert "lynx_http_requests" not in names  # a counter's samples carry _total
    table = markdown_table()
    for spec in METRICS:
        assert spec.name in table
    exposed = {
        sample.name
        for family in Metrics().registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
    assert exposed <= names  # what a scrape shows is what the table promises
