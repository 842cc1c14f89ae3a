"""Cost: the formula, linearity in the price, CPU time (not wall time), thread safety, metrics export."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miniobserve import CostTracker, Metrics, ObserveError, Prices
from miniobserve.cost import DEFAULT_USD_PER_CPU_HOUR


def test_the_formula_on_a_worked_example() -> None:
    prices = Prices(usd_per_cpu_hour=0.17, usd_per_1k_tokens=0.0006)
    cpu, tokens = prices.cost(cpu_seconds=2.61, tokens=256)
    assert cpu == pytest.approx(1.2325e-4)  # the course's 256-token request at $0.17/h
    assert tokens == pytest.approx(1.536e-4)
    assert pytest.approx(0.0425) == DEFAULT_USD_PER_CPU_HOUR


@settings(max_examples=50, deadline=None)
@given(
    usage=st.lists(
        st.tuples(st.floats(0, 5, allow_nan=False), st.integers(0, 2000)), min_size=1, max_size=20
    ),
    price=st.floats(1e-4, 10, allow_nan=False),
)
def test_cost_is_linear_in_the_price(usage: list[tuple[float, int]], price: float) -> None:
    """The course's calibration (0.085, 0.17, 0.34 $/h → 1:2:4), as a property of any price."""
    totals = []
    for factor in (1, 2, 4):
        tracker = CostTracker(Prices(price * factor, price * factor / 10))
        for cpu, tokens in usage:
            tracker.record(cpu, tokens)
        totals.append(tracker.summary()["usd"])
    if totals[0] > 0:
        assert totals[1] / totals[0] == pytest.approx(2) and totals[2] / totals[0] == pytest.approx(
            4
        )


def test_summary_numbers() -> None:
    tracker = CostTracker(Prices(usd_per_cpu_hour=3.6, usd_per_1k_tokens=1.0))
    costs = [tracker.record(cpu_seconds=s, tokens=t) for s, t in ((1, 0), (2, 1000), (0.5, 500))]
    assert costs == pytest.approx([0.001, 1.002, 0.5005])
    summary = tracker.summary()
    assert summary["requests"] == 3 and summary["tokens"] == 1500
    assert summary["cpu_seconds"] == pytest.approx(3.5)
    assert summary["usd"] == pytest.approx(sum(costs))
    assert summary["usd_per_1k_requests"] == pytest.approx(1000 * sum(costs) / 3)
    assert summary["usd_per_request_p50"] == pytest.approx(0.5005)
    assert summary["usd_per_request_p95"] == pytest.approx(
        1.002
    )  # nearest rank: a real request's cost
    assert CostTracker().summary()["usd_per_1k_requests"] == 0.0


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_measure_charges_cpu_time_not_waiting() -> None:
    tracker = CostTracker()
    with tracker.measure(tokens=5) as sleeping:
        time.sleep(0.05)
    with tracker.measure() as busy:
        _burn(0.05)
        busy.tokens = 7
    assert busy.cpu_seconds > 5 * sleeping.cpu_seconds  # same wall time, very different CPU
    assert (sleeping.tokens, busy.tokens) == (5, 7)
    assert tracker.summary()["tokens"] == 12
    assert busy.usd == pytest.approx(Prices().cost(busy.cpu_seconds, 7)[0])


def test_a_failing_block_is_still_charged() -> None:
    tracker = CostTracker()
    with pytest.raises(RuntimeError), tracker.measure(tokens=3):
        raise RuntimeError("model crashed")
    assert tracker.summary()["requests"] == 1


def test_thread_safe_totals() -> None:
    tracker = CostTracker(Prices(1.0, 1.0), metrics=Metrics())

    def work() -> None:
        for _ in range(500):
            tracker.record(0.001, 2)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    summary = tracker.summary()
    assert summary["requests"] == 4000 and summary["tokens"] == 8000
    assert summary["cpu_seconds"] == pytest.approx(4.0)
    assert tracker.metrics is not None
    assert tracker.metrics.sample_value("lynx_request_cost_usd_count") == 4000
    assert tracker.metrics.sample_value("lynx_request_tokens_total") == 8000


def test_metrics_export_matches_the_summary() -> None:
    metrics = Metrics()
    tracker = CostTracker(Prices(usd_per_cpu_hour=36.0, usd_per_1k_tokens=2.0), metrics=metrics)
    tracker.record(cpu_seconds=1.0, tokens=500)
    tracker.record(cpu_seconds=0.5, tokens=0)
    cpu_usd = metrics.sample_value("lynx_cost_usd_total", {"component": "cpu"})
    token_usd = metrics.sample_value("lynx_cost_usd_total", {"component": "tokens"})
    assert cpu_usd == pytest.approx(0.015) and token_usd == pytest.approx(1.0)
    assert metrics.sample_value("lynx_request_cost_usd_sum") == pytest.approx(
        tracker.summary()["usd"]
    )
    assert metrics.sample_value("lynx_request_cpu_seconds_total") == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LYNX_USD_PER_CPU_HOUR": "cheap"}, "LYNX_USD_PER_CPU_HOUR='cheap' is not a number"),
        ({"LYNX_USD_PER_1K_TOKENS": "-1"}, "usd_per_1k_tokens must be a finite price >= 0"),
        ({"LYNX_USD_PER_CPU_HOUR": "inf"}, "usd_per_cpu_hour must be a finite price"),
    ],
)
def test_bad_prices_are_clear_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ObserveError, match=message):
        Prices.from_env(env)


def test_prices_from_env_override_the_defaults() -> None:
    assert Prices.from_env({}) == Prices()
    assert Prices.from_env(
        {"LYNX_USD_PER_CPU_HOUR": "1.5", "LYNX_USD_PER_1K_TOKENS": " "}
    ) == Prices(usd_per_cpu_hour=1.5)
    with pytest.raises(ObserveError, match="negative"):
        CostTracker().record(-1.0, 0)


def test_a_long_running_tracker_keeps_a_bounded_window_and_exact_totals() -> None:
    """A service records millions of requests: the per-request lists must not grow without bound, while
    the totals (and so the mean and the USD per 1k) still count every request."""
    tracker = CostTracker(Prices(usd_per_cpu_hour=3600.0, usd_per_1k_tokens=0.0), window=10)
    for i in range(1, 101):
        tracker.record(cpu_seconds=i / 1000, tokens=i)  # request i costs i/1000 USD
    summary = tracker.summary()
    assert summary["requests"] == 100 and summary["tokens"] == 5050
    assert summary["usd"] == pytest.approx(5.050)
    assert summary["usd_per_1k_requests"] == pytest.approx(50.5)
    assert [tokens for _, tokens in tracker.usage()] == list(range(91, 101))
    assert summary["usd_per_request_p50"] == pytest.approx(
        0.0955
    )  # median of the last ten, 91..100
    with pytest.raises(ObserveError, match="window"):
        CostTracker(window=0)
