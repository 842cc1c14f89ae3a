"""The token bucket and the request-id rule, as properties."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from miniobserve.logging import valid_request_id
from miniserve.middleware import TokenBucket

ALLOWED = set(string.ascii_letters + string.digits + "._-")


def is_valid(rid: str) -> bool:
    """The rule written out by hand (the oracle for the regex)."""
    return 1 <= len(rid) <= 64 and set(rid) <= ALLOWED


@given(
    rate=st.floats(0.5, 50.0),
    burst=st.integers(1, 20),
    gaps=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=200),
)
def test_a_bucket_never_admits_more_than_burst_plus_rate_times_time(
    rate: float, burst: int, gaps: list[float]
) -> None:
    bucket = TokenBucket(rate, burst)
    now, admitted = 0.0, 0
    for gap in gaps:
        now += gap
        wait = bucket.take("client", now=now)
        if wait == 0.0:
            admitted += 1
        else:
            assert (
                0.0 < wait <= 1.0 / rate + 1e-9
            )  # a refusal says how long until one token is back
        assert admitted <= burst + rate * now + 1e-6


def test_clients_have_separate_buckets() -> None:
    bucket = TokenBucket(rate=1.0, burst=2)
    for _ in range(3):
        bucket.take("a", now=0.0)
    assert bucket.take("a", now=0.0) > 0 and bucket.take("b", now=0.0) == 0.0


def test_waiting_refills_the_bucket() -> None:
    bucket = TokenBucket(rate=2.0, burst=1)
    assert bucket.take("c", now=10.0) == 0.0
    assert bucket.take("c", now=10.0) == 0.5
    assert bucket.take("c", now=10.5) == 0.0


def test_a_trailing_newline_is_not_a_valid_id() -> None:
    assert not valid_request_id(
        "abc\n"
    )  # miniobserve's check, the one the service's middleware runs
