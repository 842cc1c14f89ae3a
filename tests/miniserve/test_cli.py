"""`lynx serve` as a real process, `lynx bench serve` against a real service, and their one-line refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from tests.miniserve.conftest import Live

from lynx_cortex.cli import cli
from miniserve.live import free_port, wait_ready

pytestmark = pytest.mark.xdist_group("miniserve")


def test_lynx_serve_passes_its_options_to_one_uvicorn_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setenv("LYNX_SERVE_MAX_QUEUE", "7")
    result = CliRunner().invoke(cli, ["serve", "--scheduler", "none", "--port", "9123"])
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"], seen["workers"]) == ("127.0.0.1", 9123, 1)
    settings = seen["app"].state.serve.settings
    assert (settings.scheduler, settings.max_queue) == (
        "none",
        7,
    )  # option over env, env over default


@pytest.mark.slow  # a real `lynx serve` process: ~8 s to start and load on 2 shared cores
def test_lynx_serve_starts_a_real_server_and_stops() -> None:
    port = free_port()
    env = {**os.environ, "LYNX_SERVE_MAX_QUEUE": "5"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from lynx_cortex.cli import main; main()",
            "serve",
            "--scheduler",
            "static",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        ready = httpx.get(f"{base}/readyz", trust_env=False).json()
        answer = httpx.post(
            f"{base}/v1/generate",
            json={"prompt": "He", "max_tokens": 3},
            trust_env=False,
            timeout=30,
        )
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert ready["scheduler"] == "static"
    assert answer.status_code == 200 and answer.json()["scheduler"] == "static"
    assert "request_id=" in err.decode()  # the access log line carries the request id


def test_bad_settings_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYNX_SERVE_MAX_QUEUE", "lots")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "lynx: error: LYNX_SERVE_MAX_QUEUE: Input should be a valid integer, unable to parse string as an integer (got 'lots')"
    ]
    bad = CliRunner().invoke(cli, ["serve", "--scheduler", "fastest"])
    assert bad.exit_code == 2 and "fastest" in bad.output


def test_bench_serve_refuses_a_remote_url() -> None:
    result = CliRunner().invoke(cli, ["bench", "serve", "--url", "http://example.com:8765"])
    assert result.exit_code == 2
    assert "must be an http URL on this machine" in result.output


def test_bench_serve_reports_a_short_run(live: Live) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "serve", "--url", live.base, "--rate", "20", "--duration", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (
        report["sent"] > 0
        and report["ok"] + report["rejected_429"] + report["errors"] == report["sent"]
    )
    assert report["errors"] == 0 and report["latency_ms"]["p50"] <= report["latency_ms"]["p99"]
    assert set(report["by_kind"]) <= {"short", "medium", "long"}
