"""`lynx up`'s second product: the tutor service (`lynx serve`), run as a child process beside the portal.

A child process, not a second server in the portal's process: the portal runs without model code (DESIGN §1),
a model that crashes or hogs the CPU must not take the portal with it, and the two can be restarted apart. The
child is started first, polled on `/readyz` (the model is loaded and its sha256 verified), and stopped when
the portal stops. If it never becomes ready, `lynx up` says why and serves the portal alone: "Ask the tutor"
then explains that the tutor is not answering.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import TracebackType

import click

READY_TIMEOUT_S = 90.0


@dataclass
class TutorProcess:
    host: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104  # display
        return f"http://{shown}:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "lynx_cortex.cli", "serve", "--host", self.host]
        self.process = subprocess.Popen([*command, "--port", str(self.port)])  # noqa: S603  # our own CLI

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> str | None:
        """None once `/readyz` answers 200; else why not (the child exited, or the time ran out)."""
        assert self.process is not None  # noqa: S101  # start() first
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if (code := self.process.poll()) is not None:
                return f"the tutor service exited with status {code}"
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as reply:  # noqa: S310
                    if reply.status == 200:
                        return None
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        return f"the tutor service was not ready after {timeout_s:.0f} s"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> TutorProcess:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def start_tutor(host: str, port: int) -> TutorProcess:
    """Start the child and wait for it; a warning (not a failure) when it does not come up."""
    tutor = TutorProcess(host, port)
    click.echo(f"tutor: starting on {tutor.url} (loading and verifying the model)…", err=True)
    tutor.start()
    problem = tutor.wait_ready()
    if problem is None:
        click.echo(f"tutor: ready on {tutor.url}", err=True)
    else:
        click.echo(f"tutor: {problem}; the portal runs without it", err=True)
    return tutor
