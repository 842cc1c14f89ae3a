"""Lab 41-portal-load: many logged-in learners reading phase pages and writing notes, against a real server.

The portal runs in its own process (uvicorn on loopback, production Argon2 costs, a fresh SQLite WAL database);
this process plays the class: each learner logs in once, then loops "open a phase page, every fifth page write a
note", pausing a random think time between clicks (uniform 0 to 2 x `LYNX_LOAD_THINK_MS`, mean 500 ms) the way
people do. Afterwards every note written is looked up in the database: a lost write is a bug, not noise.
`LYNX_LOAD_USERS` (default 50) and `LYNX_LOAD_SECONDS` (default 30) size the run; `LYNX_LOAD_THINK_MS=0` turns
the class into a closed-loop stress test that measures the server's ceiling instead.

Logins (two at a time, each timed from GET /login to the POST's answer) go through the server's Argon2 gate;
`argon2_verify_ms`, one verify measured in this process just before, is the floor to read their p95 against.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from sqlalchemy import select

from lynx_cortex.errors import LynxError
from lynx_cortex.paths import docs_dir
from lynx_cortex.phases import PHASES
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.registry import LabContext, lab
from miniportal.db import notes, users
from miniportal.labs.liveserver import PASSWORD, live_portal
from miniportal.service import Portal

CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]{64})"')
NOTE_EVERY = 5


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"page": [], "note": [], "login": []}
    )
    errors: list[str] = field(default_factory=list)
    written: dict[str, list[str]] = field(default_factory=dict)


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise LynxError(f"{name} must be an integer >= {minimum}, got {raw!r}")
    return int(raw)


async def _login(
    client: httpx.AsyncClient, name: str, tally: Tally, gate: asyncio.Semaphore
) -> bool:
    """Log in (Argon2 verify on the server: deliberately slow, so not part of the browsing window)."""
    async with gate:
        started = time.perf_counter()
        login_page = await client.get("/login")
        token = CSRF.search(login_page.text)
        if token is None:
            tally.errors.append(f"{name}: no CSRF token on /login")
            return False
        answer = await client.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        tally.latencies["login"].append(time.perf_counter() - started)
    if answer.status_code != 303:
        tally.errors.append(f"{name}: login answered {answer.status_code}")
        return False
    return True


async def _browse(
    client: httpx.AsyncClient,
    name: str,
    pages: list[str],
    stop_at: float,
    tally: Tally,
    seed: int,
    think_s: float,
) -> None:
    rng = np.random.default_rng(seed)
    csrf = ""
    step = 0
    tally.written[name] = []
    while time.monotonic() < stop_at:
        if think_s > 0:
            await asyncio.sleep(float(rng.uniform(0.0, 2.0 * think_s)))
        page = pages[int(rng.integers(len(pages)))]
        started = time.perf_counter()
        response = await client.get(page)
        tally.latencies["page"].append(time.perf_counter() - started)
        found = CSRF.search(response.text)
        if response.status_code != 200 or found is None:
            tally.errors.append(f"{name}: GET {page} answered {response.status_code}")
            continue
        csrf = found.group(1)
        step += 1
        if step % NOTE_EVERY == 0:
            body = f"{name} note {step} {secrets.token_hex(4)}"
            data = {"page": page, "anchor": "intro-p1", "body": body, "csrf_token": csrf}
            started = time.perf_counter()
            response = await client.post("/notes", data=data)
            tally.latencies["note"].append(time.perf_counter() - started)
            if response.status_code == 303:
                tally.written[name].append(body)
            else:
                tally.errors.append(f"{name}: POST /notes answered {response.status_code}")


async def _drive(
    base: str,
    names: list[str],
    pages: list[str],
    seconds: float,
    tally: Tally,
    seed: int,
    think_s: float,
) -> float:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) for _ in names]
    try:
        gate = asyncio.Semaphore(2)  # two logins at a time: one per core
        ok = await asyncio.gather(
            *(_login(c, n, tally, gate) for c, n in zip(clients, names, strict=True))
        )
        start = time.monotonic()
        stop_at = start + seconds
        await asyncio.gather(
            *(
                _browse(client, name, pages, stop_at, tally, seed + index, think_s)
                for index, (client, name, logged_in) in enumerate(
                    zip(clients, names, ok, strict=True)
                )
                if logged_in
            )
        )
        return time.monotonic() - start
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def _verify_ms(portal: Portal, repeats: int = 3) -> float:
    """Median time of one Argon2 verify in this process, right now: the floor under any login's latency, to
    read `routes.login` against (a login p95 target means little on a machine where one verify takes longer)."""
    stored = portal.hasher.hash(PASSWORD)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        portal.hasher.verify(stored, "not the password")
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000.0)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    ms = np.asarray(values) * 1000.0
    return {
        "count": len(values),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


def _plot(
    ctx: LabContext, tally: Tally, stats: Mapping[str, Mapping[str, float]], users_n: int
) -> None:
    fig, (left, right) = figure(1, 2, width=11.0, height=4.2)
    labels = {"page": "GET /phases/NN", "note": "POST /notes", "login": "POST /login"}
    for route, values in tally.latencies.items():
        if values:
            ms = np.sort(np.asarray(values) * 1000.0)
            left.plot(ms, np.linspace(0, 1, len(ms)), label=f"{labels[route]} (n={len(ms)})")
    left.axvline(50, color="grey", linestyle=":", label="page target 50 ms")
    left.axvline(100, color="black", linestyle=":", label="note target 100 ms")
    left.set_xscale("log")
    left.set_xlabel("latency (ms, log scale)")
    left.set_ylabel("fraction of requests")
    left.set_title("Latency CDF")
    left.legend(fontsize=8)
    routes = [r for r in ("page", "note", "login") if stats[r].get("count")]
    x = np.arange(len(routes))
    for offset, key in zip((-0.25, 0.0, 0.25), ("p50_ms", "p95_ms", "p99_ms"), strict=True):
        right.bar(x + offset, [stats[r][key] for r in routes], width=0.25, label=key.split("_")[0])
    right.axhline(50, color="grey", linestyle=":")
    right.axhline(100, color="black", linestyle=":")
    right.set_yscale("log")
    right.set_xticks(x, [labels[r] for r in routes])
    right.set_ylabel("latency (ms, log scale)")
    right.set_title("Percentiles per route")
    right.legend()
    save_png(fig, ctx.path("latency.png"), title=f"{users_n} concurrent learners on loopback")


@lab("41-portal-load", title="Portal under a class: page views and note writes, no lost writes")
def portal_load(ctx: LabContext) -> Mapping[str, Any]:
    users_n = env_int("LYNX_LOAD_USERS", 50)
    seconds = env_int("LYNX_LOAD_SECONDS", 30)
    think_ms = env_int("LYNX_LOAD_THINK_MS", 500, minimum=0)
    docs = docs_dir()
    pages = [f"/phases/{p.code}" for p in PHASES if (docs / p.dirname / "README.md").is_file()]
    pages = pages or ["/phases/41"]
    ctx.config.update(
        users=users_n, seconds=seconds, think_ms=think_ms, note_every=NOTE_EVERY, pages=len(pages)
    )
    names = [f"learner{index:02d}" for index in range(users_n)]
    tally = Tally()
    limit = {"LYNX_PORTAL_LOGIN_LIMIT_PER_IP": str(users_n + 10)}
    with live_portal(names, env=limit) as live:
        verify_ms = _verify_ms(live.portal)
        wall = asyncio.run(
            _drive(live.base, names, pages, float(seconds), tally, ctx.seed, think_ms / 1000.0)
        )
        live.server.terminate()
        live.server.wait(timeout=30)
        with live.portal.engine.connect() as conn:
            stored = conn.execute(
                select(users.c.username, notes.c.body).join(users, users.c.id == notes.c.user_id)
            ).all()
    read_back = {(name, body) for name, body in stored}
    written = {(name, body) for name, bodies in tally.written.items() for body in bodies}
    stats = {route: percentiles(values) for route, values in tally.latencies.items()}
    _plot(ctx, tally, stats, users_n)
    requests = len(tally.latencies["page"]) + len(tally.latencies["note"])
    return {
        "users": users_n,
        "seconds": seconds,
        "think_ms": think_ms,
        "wall_s": wall,
        "requests": requests,
        "requests_per_s": requests / wall if wall > 0 else 0.0,
        "routes": stats,
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "notes_written": len(written),
        "notes_read_back": len(read_back & written),
        "lost_writes": len(written - read_back),
        "targets_ms": {"page_p95": 50, "note_p95": 100, "login_p95": 300},
        "argon2_verify_ms": verify_ms,
    }
