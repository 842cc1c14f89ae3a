"""The login throttle (reserve before checking, settle after) and the Argon2 gate (slots, FIFO queue, bounded
wait), driven directly with a fake clock and real event loops."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lynx_cortex.errors import LynxError
from miniportal.hashgate import BusyError, HashGate
from miniportal.ratelimit import LoginThrottle
from miniportal.settings import default_argon2_slots, settings_from_env


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_attempts_in_flight_count_against_the_limit() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(per_user=3, per_ip=100, window_s=300, clock=clock)
    attempts = [throttle.begin("ana", "10.0.0.1") for _ in range(3)]
    assert all(not isinstance(a, int) for a in attempts)
    assert throttle.begin("ana", "10.0.0.1") == 1  # only in flight: retry in a second
    assert not isinstance(throttle.begin("ben", "10.0.0.1"), int)  # other users are not affected
    attempts[0].abandoned()  # no verdict (server busy): frees the slot, counts nothing
    retry = throttle.begin("ana", "10.0.0.1")
    assert not isinstance(retry, int)
    for attempt in (attempts[1], attempts[2], retry):
        attempt.failed()
    assert throttle.begin("ana", "10.0.0.1") == 300  # three failures: wait for the oldest to expire
    clock.now += 300
    assert not isinstance(throttle.begin("ana", "10.0.0.1"), int)


def test_a_success_forgives_the_username_not_the_address() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(per_user=2, per_ip=3, window_s=60, clock=clock)
    first = throttle.begin("ana", "10.0.0.1")
    assert not isinstance(first, int)
    first.failed()
    ok = throttle.begin("ana", "10.0.0.1")
    assert not isinstance(ok, int)
    ok.succeeded()
    ok.failed()  # settling twice is ignored
    for name in ("ana", "ana"):
        attempt = throttle.begin(name, "10.0.0.1")
        assert not isinstance(attempt, int)
        attempt.failed()
    assert isinstance(throttle.begin("zed", "10.0.0.1"), int)  # the address has 3 failures


def test_one_audit_row_per_key_per_window() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(per_user=1, per_ip=100, window_s=60, clock=clock)
    assert not throttle.should_audit("ana", "10.0.0.1")  # not limited: nothing to audit
    attempt = throttle.begin("ana", "10.0.0.1")
    assert not isinstance(attempt, int)
    attempt.failed()
    audited = [throttle.should_audit("ana", "10.0.0.1") for _ in range(50)]
    assert audited == [True] + [False] * 49
    clock.now += 30
    assert not throttle.should_audit("ana", "10.0.0.2")
    clock.now += 31  # a new window (and the failure has expired: not limited any more)
    assert not throttle.should_audit("ana", "10.0.0.1")


async def _hold(gate: HashGate, order: list[int], index: int, hold_s: float) -> None:
    async with gate.slot():
        order.append(index)
        await asyncio.sleep(hold_s)


def test_the_gate_admits_in_arrival_order_and_never_more_than_its_slots() -> None:
    gate = HashGate(2, max_wait_s=5, max_queue=10)
    order: list[int] = []
    peak = 0

    async def main() -> None:
        nonlocal peak
        tasks = []
        for i in range(8):
            tasks.append(asyncio.create_task(_hold(gate, order, i, 0.02)))
            await asyncio.sleep(0)  # arrive in order
        while not all(t.done() for t in tasks):
            peak = max(peak, gate.in_use)
            await asyncio.sleep(0.001)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert order == list(range(8)) and peak <= 2 and gate.in_use == 0


def test_a_full_queue_is_refused_at_once_and_a_slow_one_after_the_wait() -> None:
    gate = HashGate(1, max_wait_s=0.05, max_queue=1)

    async def timed_hold() -> float:
        started = time.perf_counter()
        with pytest.raises(BusyError):
            await _hold(gate, [], 1, 0)
        return time.perf_counter() - started

    async def main() -> tuple[float, float]:
        holder = asyncio.create_task(_hold(gate, [], 0, 0.3))
        await asyncio.sleep(0.01)
        waiter = asyncio.create_task(timed_hold())
        await asyncio.sleep(0.001)
        started = time.perf_counter()
        with pytest.raises(BusyError) as full:
            await _hold(gate, [], 2, 0)  # the queue (1) is taken: no wait at all
        at_once = time.perf_counter() - started
        assert full.value.status == 503 and full.value.headers["retry-after"] == "1"
        waited = await waiter  # waited its 50 ms, then refused
        await holder
        return at_once, waited

    at_once, waited = asyncio.run(main())
    assert gate.in_use == 0 and at_once < waited


def test_a_cancelled_waiter_passes_its_turn_on_and_loops_in_threads_share_the_gate() -> None:
    gate = HashGate(1, max_wait_s=5, max_queue=10)
    order: list[int] = []

    async def cancel_one() -> None:
        holder = asyncio.create_task(_hold(gate, order, 0, 0.05))
        await asyncio.sleep(0.005)
        doomed = asyncio.create_task(_hold(gate, order, 1, 0))
        survivor = asyncio.create_task(_hold(gate, order, 2, 0))
        await asyncio.sleep(0.005)
        doomed.cancel()
        await asyncio.gather(holder, survivor)

    asyncio.run(cancel_one())
    assert order == [0, 2] and gate.in_use == 0

    done: list[int] = []

    def worker(index: int) -> None:
        asyncio.run(_hold(gate, done, index, 0.01))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(done) == list(range(6)) and gate.in_use == 0


def test_gate_and_proxy_settings_from_the_environment() -> None:
    secrets = {
        f"LYNX_PORTAL_{n}": n.lower() * 8 for n in ("SESSION_SECRET", "PEPPER", "MASTER_KEY")
    }
    plain = settings_from_env(secrets)
    assert plain.trusted_proxies == () and plain.argon2_slots == default_argon2_slots() >= 2
    assert plain.argon2_waiting == 4 * plain.argon2_slots and plain.argon2_wait_s == 2.0
    tuned = settings_from_env(
        {
            **secrets,
            "LYNX_PORTAL_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,::1",
            "LYNX_PORTAL_ARGON2_SLOTS": "3",
            "LYNX_PORTAL_ARGON2_QUEUE": "0",
            "LYNX_PORTAL_ARGON2_WAIT_MS": "250",
        }
    )
    assert tuned.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert (tuned.argon2_slots, tuned.argon2_waiting, tuned.argon2_wait_s) == (3, 0, 0.25)
    assert tuned.with_(argon2_slots=5, argon2_queue=None).argon2_waiting == 20
    for bad, message in (
        ({"LYNX_PORTAL_TRUSTED_PROXIES": "*"}, "TRUSTED_PROXIES: '\\*' is not an IP"),
        ({"LYNX_PORTAL_TRUSTED_PROXIES": "caddy.local"}, "is not an IP address"),
        ({"LYNX_PORTAL_ARGON2_SLOTS": "0"}, "ARGON2_SLOTS must be >= 1"),
        ({"LYNX_PORTAL_ARGON2_WAIT_MS": "soon"}, "ARGON2_WAIT_MS must be an integer"),
    ):
        with pytest.raises(LynxError, match=message):
            settings_from_env({**secrets, **bad})
