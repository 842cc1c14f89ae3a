"""Crash safety: `lynx portal serve` in a real subprocess takes concurrent journal writes and is killed with
SIGKILL mid-stream. After a restart the database passes its integrity check and every write the server
acknowledged (answered 303) is present: SQLite WAL with synchronous=NORMAL loses nothing on a process crash."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from miniportal import accounts
from miniportal.db import make_engine
from miniportal.migrate import migrate
from miniportal.service import Portal
from miniportal.settings import PortalSettings

PASSWORD = "a crash-test passphrase"  # noqa: S105  # throwaway test account
WRITERS = 4
CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]{64})"')


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    lynx = Path(sys.executable).parent / "lynx"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603  # our own CLI, fixed arguments
            [str(lynx), "portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not answer /healthz within 30 s")


def _token(client: httpx.Client, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match is not None
    return match.group(1)


def _writer(base: str, username: str, acked: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=5) as client:
        day = datetime.now(UTC).date().isoformat()
        try:
            login = client.post(
                "/login",
                data={
                    "username": username,
                    "password": PASSWORD,
                    "csrf_token": _token(client, "/login"),
                },
            )
            assert login.status_code in (200, 303), login.text[:200]
            token = _token(client, f"/journal/{day}")
        except httpx.HTTPError:
            return  # on a busy machine the kill can come before this writer logged in: it wrote nothing
        n = 0
        while not stop.is_set():
            body = f"{username} write {n}"
            try:
                response = client.post(f"/journal/{day}", data={"body": body, "csrf_token": token})
            except httpx.HTTPError:
                return  # the server died mid-request: this write was never acknowledged
            if response.status_code == 303:
                acked.append(body)
            n += 1


def test_sigkill_during_concurrent_writes_loses_no_acknowledged_write(
    settings: PortalSettings, tmp_path: Path, free_port: Callable[[], int]
) -> None:
    db = tmp_path / "var" / "portal.db"
    url = f"sqlite:///{db}"
    portal = Portal.build(settings.with_(database_url=url), engine=make_engine(url))
    migrate(portal.engine)
    names = [f"writer{k}" for k in range(WRITERS)]
    with portal.engine.begin() as conn:
        for name in names:
            user = accounts.create_user(portal, conn, name)
            accounts.store_password(
                portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
            )
    portal.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "LYNX_ROOT": str(tmp_path),
        "LYNX_PORTAL_DATABASE_URL": url,
        "LYNX_PORTAL_SESSION_SECRET": "s" * 40,
        "LYNX_PORTAL_PEPPER": "p" * 40,
        "LYNX_PORTAL_MASTER_KEY": "m" * 40,
        "LYNX_PORTAL_DOCS_DIR": str(settings.docs_dir),
        "LYNX_PORTAL_QUIZZES_DIR": str(settings.quizzes_dir),
    }
    log = tmp_path / "server.log"
    server = _start(env, port, log)
    base = f"http://127.0.0.1:{port}"
    acked: list[list[str]] = [[] for _ in names]
    stop = threading.Event()
    threads = [
        threading.Thread(target=_writer, args=(base, name, acked[k], stop), daemon=True)
        for k, name in enumerate(names)
    ]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while sum(map(len, acked)) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # mid-stream: writers are still posting
        server.wait(timeout=10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        if server.poll() is None:
            server.kill()
    assert server.returncode == -signal.SIGKILL
    written = [body for bodies in acked for body in bodies]
    assert len(written) >= 40, log.read_text()[-2000:]

    restarted = _start(env, port, log)  # the serve lock died with the killed process
    try:
        assert httpx.get(f"{base}/healthz", timeout=5).json()["status"] == "ok"
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=15)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = {row[0] for row in conn.execute("SELECT body FROM journal_entries")}
    missing = [body for body in written if body not in stored]
    assert missing == [], f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
    for bodies in acked:  # each writer's acknowledged writes are a gap-free prefix of its sequence
        assert bodies == [f"{bodies[0].split()[0]} write {n}" for n in range(len(bodies))]


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="SIGKILL crash test needs Linux")
