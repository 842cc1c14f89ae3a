"""`lynx up` serves both products: the portal, and beside it the tutor service its "Ask the tutor" page calls.

A real `lynx up` in a throwaway project root (the checkout's artifacts, data and docs linked in), driven over
HTTP as a newcomer would: the tutor becomes ready, the admin invite works, the portal's tutor page shows a
correction made by the service, and stopping `lynx up` stops the tutor too.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from lynx_cortex.paths import project_root

CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]{64})"')
PASSWORD = "correct horse battery staple"  # noqa: S105  # a throwaway account's password


def _wait(url: str, process: subprocess.Popen[str], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "lynx up exited early"
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered 200")


def test_lynx_up_serves_the_portal_and_the_tutor_it_calls(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    for name in ("artifacts", "data", "docs"):
        (tmp_path / name).symlink_to(project_root() / name)
    portal, tutor = free_port(), free_port()
    env = {**os.environ, "LYNX_ROOT": str(tmp_path), "PYTHONHASHSEED": "0"}
    env = {k: v for k, v in env.items() if not k.startswith("LYNX_PORTAL_")}
    command = [sys.executable, "-m", "lynx_cortex.cli", "up", "--port", str(portal)]
    process = subprocess.Popen(  # noqa: S603  # our own CLI
        [*command, "--tutor-port", str(tutor)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait(f"http://127.0.0.1:{tutor}/readyz", process)
        _wait(f"http://127.0.0.1:{portal}/login", process)
        assert process.stdout is not None
        invite = re.search(r"/invite/\S+", process.stdout.readline())
        assert invite is not None
        with httpx.Client(
            base_url=f"http://127.0.0.1:{portal}", follow_redirects=True, trust_env=False
        ) as client:
            token = CSRF.search(client.get(invite.group()).text)
            assert token is not None
            form = {"password": PASSWORD, "password_confirm": PASSWORD}
            client.post(invite.group(), data={**form, "csrf_token": token.group(1)})
            token = CSRF.search(client.get("/tutor").text)
            assert token is not None
            answer = client.post(
                "/tutor",
                data={
                    "sentence": "Yesterday she goed to the market.",
                    "csrf_token": token.group(1),
                },
            )
        assert answer.status_code == 200
        assert 'id="tutor-correction">Yesterday she went to the market.<' in answer.text
        assert "Ayer ella fue al mercado." in answer.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    try:
        httpx.get(f"http://127.0.0.1:{tutor}/healthz", timeout=2, trust_env=False)
    except httpx.HTTPError:
        pass  # the tutor went with the portal
    else:
        raise AssertionError("the tutor service outlived lynx up")
