"""A real tutor service in its own process, for the labs and `lynx bench serve --spawn`.

The load generator and the server must not share a process: both are Python, and one GIL would make the
client's bookkeeping look like server latency. So, as the portal's labs do (`miniportal.labs.liveserver`,
which this mirrors: free port, uvicorn subprocess, wait until it answers), the server is started with
`uvicorn --factory miniserve.app:create_app_from_env` and settings passed as `LYNX_SERVE_*` variables.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from miniserve.settings import ENV_PREFIX


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    """Until `/readyz` answers 200 (the model loaded and verified); an early exit or a timeout raises."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the tutor service exited early with code {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the tutor service was not ready at {base}/readyz within {timeout_s} s")


@contextmanager
def live_service(settings: Mapping[str, object]) -> Iterator[str]:
    """A running service with these settings (field → value); yields its base URL, stops it on exit."""
    port = free_port()
    # quiet logs: a load run answers thousands of requests, one access line each would drown its report
    values = {"log_level": "warning", **settings}
    env = {**os.environ, **{ENV_PREFIX + k.upper(): str(v) for k, v in values.items()}}
    command = [
        sys.executable, "-m", "uvicorn", "miniserve.app:create_app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)  # noqa: S603  # our own interpreter and module
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


__all__ = ["free_port", "live_service", "wait_ready"]
