"""Hole: 40 concurrent logins for made-up usernames took the server from 119 to 1,062 MiB, because every one
ran a 64 MiB Argon2 check (the dummy verify that keeps unknown users as slow as wrong passwords) at once.

Now every Argon2 check goes through a gate of `LYNX_PORTAL_ARGON2_SLOTS` slots (2 here) with a short FIFO
queue; the rest are told 503 + Retry-After. The server below is `lynx portal serve` with the production costs
(m = 64 MiB), so its memory is the real thing: it may grow by about slots x 64 MiB, never by 40 x 64 MiB."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

FLOOD = 40
MIB = 1024
SLOTS = 2  # REAL_SERVER_ENV's LYNX_PORTAL_ARGON2_SLOTS
HASH_MIB = 64


async def _flood(base: str, kit: Any, sources: list[str]) -> list[httpx.Response]:
    """One client per loopback source address (so no per-address limit interferes), all POSTs at once."""
    clients = [
        httpx.AsyncClient(
            base_url=base, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=source)
        )
        for source in sources
    ]
    try:
        pages = await asyncio.gather(*(c.get("/login") for c in clients))
        return list(
            await asyncio.gather(
                *(
                    c.post(
                        "/login",
                        data={
                            "username": f"nobody{i:02d}",
                            "password": "a made-up password",
                            "csrf_token": kit.csrf_from(page.text),
                        },
                    )
                    for i, (c, page) in enumerate(zip(clients, pages, strict=True))
                )
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def test_a_flood_of_unknown_user_logins_cannot_grow_memory_past_the_cap(
    real_server: Any, kit: Any
) -> None:
    # Warm up: the first unknown-user login computes the dummy hash; its 64 MiB are freed afterwards.
    warm = asyncio.run(_flood(real_server.base, kit, ["127.0.1.250"]))
    assert warm[0].status_code == 401
    with contextlib.suppress(
        OSError
    ):  # reset the peak (Linux >= 4.0), so VmHWM is this flood's peak
        Path(f"/proc/{real_server.process.pid}/clear_refs").write_text("5")
    before = real_server.vm_kib("VmRSS")
    answers = asyncio.run(_flood(real_server.base, kit, [f"127.0.1.{i + 1}" for i in range(FLOOD)]))
    peak = real_server.vm_kib("VmHWM")
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {401, 503}, statuses  # never a 500, never a session
    assert statuses[401] >= SLOTS and statuses[503] >= 1, statuses
    busy = [a for a in answers if a.status_code == 503]
    assert all(a.headers["retry-after"].isdigit() for a in busy)
    assert all("Wrong username or password." in a.text for a in answers if a.status_code == 401)
    growth_mib = (peak - before) / MIB
    # Uncapped, forty 64 MiB checks in flight would add ~2.5 GiB; the cap allows SLOTS x 64 MiB + slack.
    assert growth_mib < SLOTS * HASH_MIB + 96, f"server memory grew by {growth_mib:.0f} MiB"
