"""A real portal server for the labs: fresh database, learners with passwords, uvicorn in its own process.

Both portal labs measure the server from outside, over loopback, the way a class meets it; this module is what
they share: settings with throwaway secrets, a migrated database (SQLite in a temporary folder, or a temporary
PostgreSQL database created next to the one a URL names, dropped afterwards), accounts, and a uvicorn process
started the way `lynx portal serve` starts it.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from miniportal import accounts
from miniportal.migrate import migrate
from miniportal.service import Portal
from miniportal.settings import PortalSettings, normalize_database_url

PASSWORD = "load-test passphrase 41"  # noqa: S105  # throwaway accounts in a temporary database


@dataclass(frozen=True)
class LivePortal:
    base: str  # http://127.0.0.1:PORT
    portal: Portal  # this process's handle on the same database (to check what the server wrote)
    server: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the portal exited early with code {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the portal did not answer {base}/healthz within {timeout_s} s")


@contextmanager
def _database(postgres_url: str | None) -> Iterator[str]:
    """A database URL for one run: SQLite in a temporary folder, or a new PostgreSQL database (dropped after)."""
    if postgres_url is None:
        with tempfile.TemporaryDirectory(prefix="lynx-live-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'portal.db'}"
        return
    admin_url = normalize_database_url(postgres_url)
    name = f"lynx_live_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def live_portal(
    usernames: Sequence[str],
    *,
    postgres_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[LivePortal]:
    """A running server whose learners `usernames` all have the password `PASSWORD`; stopped on exit."""
    with _database(postgres_url) as url:
        settings = PortalSettings(
            session_secret=secrets.token_urlsafe(40),
            pepper=secrets.token_urlsafe(40),
            master_key=secrets.token_urlsafe(40),
            database_url=url,
        )
        portal = Portal.build(settings)
        migrate(portal.engine)
        with portal.engine.begin() as conn:
            for name in usernames:
                user = accounts.create_user(portal, conn, name)
                accounts.store_password(
                    portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
                )
        port = free_port()
        server_env = {
            **os.environ,
            "LYNX_PORTAL_SESSION_SECRET": settings.session_secret,
            "LYNX_PORTAL_PEPPER": settings.pepper,
            "LYNX_PORTAL_MASTER_KEY": settings.master_key,
            "LYNX_PORTAL_DATABASE_URL": settings.database_url,
            **(env or {}),
        }
        command = [
            sys.executable, "-m", "uvicorn", "miniportal.app:create_app_from_env", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log", "--no-proxy-headers",
        ]  # fmt: skip
        server = subprocess.Popen(command, env=server_env)  # noqa: S603  # our own interpreter and module
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, server)
            yield LivePortal(base, portal, server)
        finally:
            server.terminate()
            server.wait(timeout=30)
            portal.engine.dispose()


__all__ = ["PASSWORD", "LivePortal", "free_port", "live_portal", "wait_healthy"]
