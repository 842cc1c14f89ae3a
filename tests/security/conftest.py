"""The security regression suite's servers: the real portal over real HTTP.

Two kinds. `live` serves a test's own `Portal` (SQLite or PostgreSQL, cheap Argon2 costs) from uvicorn in a
thread, started with `miniportal.server.uvicorn_options` exactly as `lynx portal serve` starts it. `real_server`
is `lynx portal serve` itself in a subprocess, with the production Argon2 costs (64 MiB per check), shared by
the tests that need a separate process: its memory, its access log, its serve lock and its proxy settings.

The database fixtures (`engine` and the session-wide databases behind it, `settings`, `docs`, `clock`) are the
portal suite's own, loaded from tests/miniportal/conftest.py so both suites build databases the same way.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from miniportal import accounts
from miniportal.app import create_app
from miniportal.db import make_engine
from miniportal.migrate import migrate
from miniportal.server import uvicorn_options
from miniportal.service import Portal
from miniportal.settings import PortalSettings
from minivault import Argon2Params


def _load_portal_fixtures() -> Any:
    path = Path(__file__).resolve().parents[1] / "miniportal" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_portal_suite_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


_portal_suite = _load_portal_fixtures()
engine = _portal_suite.engine
_sqlite_template = (
    _portal_suite._sqlite_template
)  # the session-wide databases `engine` copies or empties
_pg_schemas = _portal_suite._pg_schemas
docs = _portal_suite.docs
settings = _portal_suite.settings
clock = _portal_suite.clock
Clock = _portal_suite.Clock

PASSWORD = "correct horse battery staple"  # noqa: S105  # test accounts' password
CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]{64})"')
#: Slow enough (tens of milliseconds) that thirty concurrent logins overlap inside the check, small enough
#: (64 KiB) that the test does not measure memory.
SLOW_CHEAP_ARGON2 = Argon2Params(memory_kib=64, time_cost=1000, parallelism=1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def make_user(portal: Portal, username: str, role: str = "student") -> accounts.User:
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, username, role=role)
        accounts.store_password(
            portal, conn, user.id, accounts.seal_password(portal, user.id, PASSWORD)
        )
    return user


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@contextmanager
def serve_in_thread(portal: Portal) -> Iterator[str]:
    """Serve `portal` on a free loopback port until the block ends; yields the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    portal.settings = portal.settings.with_(base_url=base)
    app = create_app(portal.settings, portal=portal)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", **uvicorn_options(portal.settings)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError("the portal did not start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


Live = Callable[..., Any]


class Kit:
    """The helpers above for test modules (which cannot import a conftest under --import-mode=importlib)."""

    PASSWORD = PASSWORD
    SLOW_CHEAP_ARGON2 = SLOW_CHEAP_ARGON2
    csrf_from = staticmethod(csrf_from)
    make_user = staticmethod(make_user)
    login = staticmethod(login)
    serve_in_thread = staticmethod(serve_in_thread)
    free_port = staticmethod(free_port)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit


@pytest.fixture
def live(engine: Any, settings: PortalSettings, clock: Any) -> Iterator[Live]:
    """`live(**setting_changes)`: a context manager yielding (base URL, portal) on the test's database."""

    @contextmanager
    def start(**changes: Any) -> Iterator[tuple[str, Portal]]:
        portal = Portal.build(settings.with_(**changes), engine=engine)
        portal.clock = clock
        with serve_in_thread(portal) as base:
            yield base, portal

    yield start


# ------------------------------------------------------------------------ `lynx portal serve` in a process


@dataclass
class RealServer:
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    database_url: str
    portal: Portal  # the same database and secrets, opened from the test process

    def vm_kib(self, field: str) -> int:
        """A `/proc/<pid>/status` memory figure of the server process (VmRSS, VmHWM) in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        match = re.search(rf"^{field}:\s+(\d+) kB$", status, re.M)
        assert match is not None, f"no {field} in /proc/{self.process.pid}/status"
        return int(match.group(1))

    def client(self, source: str = "127.0.0.1", **kwargs: Any) -> httpx.Client:
        """A client whose connections come from `source` (any 127.0.0.0/8 address works on loopback)."""
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.base, transport=transport, timeout=60, **kwargs)


REAL_SERVER_ENV = {
    "LYNX_PORTAL_LOGIN_LIMIT_PER_IP": "3",
    "LYNX_PORTAL_ARGON2_SLOTS": "2",
    "LYNX_PORTAL_ARGON2_QUEUE": "4",
    "LYNX_PORTAL_ARGON2_WAIT_MS": "2000",
}


def _needs_real_server(item: pytest.Item) -> bool:
    return "real_server" in getattr(item, "fixturenames", ())


def _xdist_worker() -> bool:
    """Whether this process is a pytest-xdist worker (the default run uses `-n auto`)."""
    return "PYTEST_XDIST_WORKER" in os.environ


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns xdist_group marks into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this folder's `real_server` tests last, so the server (which takes seconds to import and start)
    boots in the background while the other security tests run. Other folders' order is untouched.

    Under pytest-xdist they form one group (`--dist loadgroup`): one worker runs them all against one server,
    instead of every worker booting its own."""
    here = Path(__file__).parent
    slots = [i for i, item in enumerate(items) if here in Path(str(item.path)).parents]
    mine = [items[i] for i in slots]
    ordered = sorted(mine, key=_needs_real_server)
    for slot, item in zip(slots, ordered, strict=True):
        items[slot] = item
        if _needs_real_server(item):
            item.add_marker(pytest.mark.xdist_group("real_server"))


@dataclass
class _Booting:
    root: Path
    env: dict[str, str]
    database_url: str
    base: str
    log: Path
    process: subprocess.Popen[bytes]
    portal: Portal


def _boot(root: Path) -> _Booting:
    (root / "var").mkdir()
    database_url = f"sqlite:///{root / 'var' / 'portal.db'}"
    env = {
        **os.environ,
        "LYNX_ROOT": str(root),
        "LYNX_PORTAL_SESSION_SECRET": secrets.token_urlsafe(40),
        "LYNX_PORTAL_PEPPER": secrets.token_urlsafe(40),
        "LYNX_PORTAL_MASTER_KEY": secrets.token_urlsafe(40),
        "LYNX_PORTAL_DATABASE_URL": database_url,
        **REAL_SERVER_ENV,
    }
    env.pop("LYNX_PORTAL_TRUSTED_PROXIES", None)
    settings = PortalSettings(
        session_secret=env["LYNX_PORTAL_SESSION_SECRET"],
        pepper=env["LYNX_PORTAL_PEPPER"],
        master_key=env["LYNX_PORTAL_MASTER_KEY"],
        database_url=database_url,
    )
    portal = Portal.build(settings, engine=make_engine(database_url))
    migrate(portal.engine)
    port = free_port()
    log = root / "server.log"
    lynx = Path(sys.executable).parent / "lynx"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603  # our own CLI, fixed arguments
            [str(lynx), "portal", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return _Booting(root, env, database_url, f"http://127.0.0.1:{port}", log, process, portal)


@pytest.fixture(scope="session")
def _booting(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Booting | None]:
    """Starts `lynx portal serve` (without waiting for it) as soon as the first security test runs, if any
    test of the session needs it."""
    needed = any(_needs_real_server(item) for item in request.session.items)
    if not needed:
        yield None
        return
    booting = _boot(tmp_path_factory.mktemp("real-portal"))
    try:
        yield booting
    finally:
        booting.process.terminate()
        try:
            booting.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            booting.process.kill()
            booting.process.wait()
        booting.portal.engine.dispose()


@pytest.fixture(autouse=True)
def _start_real_server_early(request: pytest.FixtureRequest) -> None:
    """Every test in this folder pulls in `_booting`, so the server starts with the first of them. Not under
    xdist: a worker cannot know whether the `real_server` group will come its way, so the one that gets it
    boots the server when its first test asks."""
    if not _xdist_worker():
        request.getfixturevalue("_booting")


@pytest.fixture(scope="session")
def real_server(_booting: _Booting | None) -> RealServer:
    """`lynx portal serve` with production Argon2 costs, two Argon2 slots and a per-address limit of 3, in a
    throwaway project root; no proxy is trusted (the default)."""
    assert _booting is not None
    deadline = time.monotonic() + 90
    while True:
        if _booting.process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{_booting.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{_booting.base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the server did not answer /healthz within 90 s")
        time.sleep(0.1)
    return RealServer(
        _booting.base,
        _booting.process,
        _booting.log,
        _booting.env,
        _booting.database_url,
        _booting.portal,
    )
