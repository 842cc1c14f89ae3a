"""Lab 41-teacher-pages: the teacher's pages against a full cohort, timed from outside over loopback.

The cohort dashboard and the per-learner page read the whole class, so they are the portal's heaviest pages; this
lab fills a fresh database with `LYNX_LOAD_USERS` learners (default 50) who each have a status on all 42 phases,
a quiz attempt per phase (so wrong answers became review cards), exam attempts, notes and journal entries, then
one teacher asks for `/admin/cohort` and `/cohort/<learner>` in turn, one request at a time, and the latencies'
percentiles are set against the 50 ms target. The same server process, real HTTP, production settings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from typing import Any

import httpx
import numpy as np

from lynx_cortex.phases import PHASES
from lynx_cortex.plotting import figure, save_png
from lynx_cortex.progress import track
from lynx_cortex.registry import LabContext, lab
from miniportal import accounts, learning
from miniportal.assessment import submit
from miniportal.labs.liveserver import PASSWORD, live_portal
from miniportal.labs.load import CSRF, env_int, percentiles
from miniportal.questions import Graded, conjugation_question
from miniportal.service import Portal

TEACHER = "teacher00"
ITEMS_PER_QUIZ = 5
TARGET_MS = 50.0


def _graded(rng: np.random.Generator, phase: int) -> list[Graded]:
    template = conjugation_question("go", "past_simple", "3sg")
    make = template.__class__
    return [
        Graded(
            make(**{**template.__dict__, "id": f"q-{phase:02d}-{i:02d}"}),
            "x",
            True,
            rng.random() < 0.7,
        )
        for i in range(ITEMS_PER_QUIZ)
    ]


def _fill(portal: Portal, names: list[str], rng: np.random.Generator) -> dict[str, int]:
    """Each learner: 42 statuses, 42 quiz attempts, 3 exam attempts, 5 notes, 10 journal entries."""
    counts = {"statuses": 0, "attempts": 0, "notes": 0, "entries": 0}
    for name in track(names, desc="fill the cohort", unit="learner"):
        with portal.engine.begin() as conn:
            user = accounts.find_user(conn, name)
            assert user is not None  # noqa: S101  # live_portal made every one
            for phase in PHASES:
                submit(
                    portal, conn, user.id, source="quiz", ref=phase.code, phase=phase.number,
                    graded=_graded(rng, phase.number),
                )  # fmt: skip
                status = ("done", "in_progress", "not_started")[int(rng.integers(3))]
                learning.set_status(portal, conn, user.id, phase.number, status)
            for _ in range(3):
                exam = _graded(rng, 99)
                submit(portal, conn, user.id, source="exam", ref="a13", phase=None, graded=exam)
            for n in range(5):
                learning.add_note(portal, conn, user.id, "/phases/07", f"intro-p{n + 1}", "note")
            for n in range(10):
                learning.add_entry(portal, conn, user.id, date(2026, 1, 1 + n), "entry")
        counts["statuses"] += len(PHASES)
        counts["attempts"] += len(PHASES) + 3
        counts["notes"] += 5
        counts["entries"] += 10
    with portal.engine.begin() as conn:
        staff = accounts.create_user(portal, conn, TEACHER, role="teacher")
        accounts.store_password(
            portal, conn, staff.id, accounts.seal_password(portal, staff.id, PASSWORD)
        )
    return counts


def _time(base: str, names: list[str], rounds: int) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {"cohort": [], "learner": []}
    with httpx.Client(base_url=base, timeout=30.0) as client:
        token = CSRF.search(client.get("/login").text)
        if token is None:
            raise RuntimeError("no CSRF token on /login")
        answer = client.post(
            "/login", data={"username": TEACHER, "password": PASSWORD, "csrf_token": token.group(1)}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"the teacher's login answered {answer.status_code}")
        for _ in range(5):  # warm-up: template compilation, the session cache, SQLite's page cache
            client.get("/admin/cohort")
        for index in track(range(rounds), desc="teacher pages", unit="round"):
            for route, path in (
                ("cohort", "/admin/cohort"),
                ("learner", f"/cohort/{names[index % len(names)]}"),
            ):
                started = time.perf_counter()
                response = client.get(path)
                latencies[route].append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code}")
    return latencies


def _plot(ctx: LabContext, latencies: Mapping[str, list[float]], users_n: int) -> None:
    fig, axis = figure(1, 1, width=7.0, height=4.2)
    labels = {"cohort": "GET /admin/cohort", "learner": "GET /cohort/<learner>"}
    for route, values in latencies.items():
        ms = np.sort(np.asarray(values) * 1000.0)
        axis.plot(ms, np.linspace(0, 1, len(ms)), label=f"{labels[route]} (n={len(ms)})")
    axis.axvline(TARGET_MS, color="grey", linestyle=":", label="p95 target 50 ms")
    axis.set_xlabel("latency (ms)")
    axis.set_ylabel("fraction of requests")
    axis.legend(fontsize=8)
    save_png(fig, ctx.path("teacher-latency.png"), title=f"{users_n} learners x 42 phases")


@lab("41-teacher-pages", title="Teacher pages at 50 learners x 42 phases: p95 against 50 ms")
def teacher_pages(ctx: LabContext) -> Mapping[str, Any]:
    users_n = env_int("LYNX_LOAD_USERS", 50)
    rounds = env_int("LYNX_TEACHER_ROUNDS", 100)
    ctx.config.update(users=users_n, rounds=rounds, items_per_quiz=ITEMS_PER_QUIZ)
    names = [f"learner{index:02d}" for index in range(users_n)]
    with live_portal(names) as live:
        counts = _fill(live.portal, names, ctx.rng)
        latencies = _time(live.base, names, rounds)
    stats = {route: percentiles(values) for route, values in latencies.items()}
    _plot(ctx, latencies, users_n)
    return {
        "users": users_n,
        "rounds": rounds,
        "data": counts,
        "routes": stats,
        "target_p95_ms": TARGET_MS,
        "within_target": all(s["p95_ms"] < TARGET_MS for s in stats.values()),
    }
