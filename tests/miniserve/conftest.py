"""A real service for the tests: uvicorn in a thread of this process, on a free loopback port.

Tests talk to it over real HTTP with httpx (real sockets, real middlewares, real lifespan); each module starts
its server once. `serve(settings)` is the helper; `live` is a module-wide default server, ready before use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from miniserve.app import create_app
from miniserve.live import free_port
from miniserve.settings import ServeSettings
from miniserve.state import ServeState


@dataclass(frozen=True)
class Live:
    base: str
    state: ServeState

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30.0, trust_env=False, **kwargs)  # type: ignore[arg-type]


def wait_ready(base: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/readyz", trust_env=False).status_code == 200:
            return
        time.sleep(0.02)
    raise AssertionError(f"{base} was not ready within {timeout_s} s")


@contextmanager
def serve(
    settings: ServeSettings, *, state: ServeState | None = None, ready: bool = True
) -> Iterator[Live]:
    state = state or ServeState.build(settings)
    app = create_app(settings, state=state)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    try:
        if ready:
            wait_ready(base)
        yield Live(base, state)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with serve(ServeSettings(scheduler="continuous", max_inflight=4)) as running:
        yield running
