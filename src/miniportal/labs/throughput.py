"""Lab 41-portal-throughput: how many phase pages one portal process serves per second, SQLite and PostgreSQL.

A closed loop (no think time) of `connections` keep-alive clients asks one logged-in learner's phase page
over and over; the figure is completed pages per second and the latency percentiles under that load. The
reference, measured in the same run against the same process, is `/healthz`: a handler that does nothing,
so `page_over_floor` says how much of the framework's ceiling the real page keeps.

The load comes from `wrk` when it is installed (C, one thread: it leaves the server most of the other core);
otherwise from Python threads, which spend more CPU per request than the server does and so understate the
ceiling (the results say which client ran). PostgreSQL is measured when `LYNX_BENCH_POSTGRES_URL` (or the
tests' `LYNX_TEST_POSTGRES_URL`) names a server on which a temporary database may be created.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from miniportal.labs.liveserver import PASSWORD, live_portal

CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]{64})"')
PAGE = "/phases/17"  # a full phase page: markdown, a note block per paragraph, the learner's status
FLOOR = "/healthz"
PG_ENV = ("LYNX_BENCH_POSTGRES_URL", "LYNX_TEST_POSTGRES_URL")
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("LYNX %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _cookie_header(base: str, name: str) -> str:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        token = CSRF.search(client.get("/login").text)
        if token is None:
            raise RuntimeError("no CSRF token on /login")
        answer = client.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"login answered {answer.status_code}")
        if client.get(PAGE).status_code != 200:
            raise RuntimeError(f"{PAGE} did not answer 200 for a logged-in learner")
        return "; ".join(f"{key}={value}" for key, value in client.cookies.items())


def _wrk(url: str, cookie: str, seconds: float, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        out = subprocess.run(  # noqa: S603  # wrk from PATH, our own arguments
            [
                str(shutil.which("wrk")),
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-H",
                f"Cookie: {cookie}",
                "-s",
                script.name,
                url,
            ],  # fmt: skip
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("LYNX "))
    requests, duration_us, errors, p50, p95, p99 = (int(v) for v in line.split()[1:])
    return {
        "per_s": requests / (duration_us / 1e6),
        "requests": requests,
        "errors": errors,
        "p50_ms": p50 / 1000.0,
        "p95_ms": p95 / 1000.0,
        "p99_ms": p99 / 1000.0,
    }


def _python_load(url: str, cookie: str, seconds: float, connections: int) -> dict[str, float]:
    """The fallback client: `connections` threads, each one keep-alive connection in a closed loop."""
    parts = urlsplit(url)
    stop_at = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            conn.request("GET", parts.path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            latencies[index].append(time.perf_counter() - started)
            errors[index] += response.status != 200
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    ms = np.concatenate([np.asarray(x) for x in latencies]) * 1000.0
    return {
        "per_s": len(ms) / wall,
        "requests": len(ms),
        "errors": sum(errors),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
    }


def measure(postgres_url: str | None, seconds: float, connections: int) -> dict[str, Any]:
    """Page and floor figures of one backend: one closed-loop run of `seconds` each, after a warm-up."""
    load = _wrk if shutil.which("wrk") else _python_load
    with live_portal(["ana"], postgres_url=postgres_url) as live:
        cookie = _cookie_header(live.base, "ana")
        load(live.base + PAGE, cookie, min(1.0, seconds), connections)  # warm-up: caches, pools
        page = load(live.base + PAGE, cookie, seconds, connections)
        floor = load(live.base + FLOOR, cookie, seconds, connections)
    return {
        "page": page,
        "floor": floor,
        "page_over_floor": page["per_s"] / floor["per_s"] if floor["per_s"] else 0.0,
    }


def _plot(ctx: LabContext, results: Mapping[str, Mapping[str, Any]]) -> None:
    fig, (left, right) = figure(1, 2, width=10.0, height=4.0)
    names = list(results)
    x = np.arange(len(names))
    left.bar(x - 0.2, [results[n]["page"]["per_s"] for n in names], 0.4, label=f"GET {PAGE}")
    left.bar(x + 0.2, [results[n]["floor"]["per_s"] for n in names], 0.4, label="GET /healthz")
    left.axhline(1000, color="black", linestyle=":", label="goal 1,000 pages/s")
    tallest = max([1000.0] + [results[n]["floor"]["per_s"] for n in names])
    left.set_ylim(0, tallest * 1.45)  # room for the legend above the goal line
    left.set_xticks(x, names)
    left.set_ylabel("requests per second (one process)")
    left.set_title("Throughput")
    left.legend(fontsize=8)
    for offset, key in zip((-0.25, 0.0, 0.25), ("p50_ms", "p95_ms", "p99_ms"), strict=True):
        right.bar(x + offset, [results[n]["page"][key] for n in names], 0.25, label=key[:3])
    right.set_xticks(x, names)
    right.set_ylabel("page latency under full load (ms)")
    right.set_title("Latency percentiles")
    right.legend(loc="upper left")
    save_png(fig, ctx.path("throughput.png"), title="One portal process, closed loop on loopback")


@lab(
    "41-portal-throughput", title="Portal pages per second, SQLite and PostgreSQL, against /healthz"
)
def portal_throughput(ctx: LabContext) -> Mapping[str, Any]:
    cfg = settings(
        ctx,
        {
            "smoke": {"seconds": 1.0, "connections": 4},
            "default": {"seconds": 5.0, "connections": 8},
            "full": {"seconds": 20.0, "connections": 16},
        },
    )
    seconds, connections = float(cfg["seconds"]), int(cfg["connections"])
    postgres_url = next((os.environ[v] for v in PG_ENV if os.environ.get(v)), None)
    ctx.config["client"] = "wrk" if shutil.which("wrk") else "python threads"
    results: dict[str, Any] = {"sqlite": measure(None, seconds, connections)}
    if postgres_url is not None:
        results["postgresql"] = measure(postgres_url, seconds, connections)
    _plot(ctx, results)
    summary: dict[str, Any] = {
        "client": ctx.config["client"],
        "backends": results,
        "portal_pages_per_s": results["sqlite"]["page"]["per_s"],
        "portal_page_p95_ms": results["sqlite"]["page"]["p95_ms"],
        "errors": sum(r[k]["errors"] for r in results.values() for k in ("page", "floor")),
    }
    if "postgresql" in results:
        summary["postgresql_over_sqlite"] = (
            results["postgresql"]["page"]["per_s"] / results["sqlite"]["page"]["per_s"]
        )
    return summary
