"""Portal fixtures: a migrated database on SQLite and (when LYNX_TEST_POSTGRES_URL is set) PostgreSQL,
cheap Argon2 costs, a controllable clock, a tiny docs tree, and an HTTP client with login helpers."""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from miniportal import accounts
from miniportal.app import create_app
from miniportal.db import make_engine, utcnow
from miniportal.migrate import migrate
from miniportal.server import uvicorn_options
from miniportal.service import Portal
from miniportal.settings import PortalSettings, normalize_database_url
from minivault import Argon2Params

CHEAP_ARGON2 = Argon2Params(memory_kib=64, time_cost=1, parallelism=1)
PASSWORD = "correct horse battery staple"  # noqa: S105  # a test account's password
PHASE_07 = """# Scalar autograd

A Value remembers how it was made.

Backpropagation walks the graph in reverse.

## What you build

The `Value` class with `+`, `*` and `tanh`.

> 🇪🇸 Construyes la clase Value.
"""


class Clock:
    """A clock tests can move; starts at the real time so sessions and invites look normal."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _postgres_url() -> str | None:
    return os.environ.get("LYNX_TEST_POSTGRES_URL") or None


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database; PostgreSQL gets a private schema dropped afterwards."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    url = _postgres_url()
    if url is None:
        pytest.skip(
            "PostgreSQL tests need LYNX_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    url = normalize_database_url(url)
    schema = f"lynx_test_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(
            f"PostgreSQL at LYNX_TEST_POSTGRES_URL is not reachable: {exc.__class__.__name__}"
        )
    eng = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "phase-07-scalar-autograd").mkdir(parents=True)
    (root / "phase-07-scalar-autograd" / "README.md").write_text(PHASE_07, encoding="utf-8")
    return root


@pytest.fixture
def settings(docs: Path, tmp_path: Path) -> PortalSettings:
    return PortalSettings(
        session_secret="s" * 40,
        pepper="p" * 40,
        master_key="m" * 40,
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        docs_dir=docs,
        quizzes_dir=Path(__file__).resolve().parents[2] / "data" / "quizzes",
        argon2=CHEAP_ARGON2,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def portal(settings: PortalSettings, engine: Engine, clock: Clock) -> Portal:
    built = Portal.build(settings, engine=engine)
    built.clock = clock
    return built


@pytest.fixture
def app_client(portal: Portal) -> Iterator[TestClient]:
    with TestClient(
        create_app(portal.settings, portal=portal), base_url="http://testserver"
    ) as client:
        yield client


MakeUser = Callable[..., accounts.User]


@pytest.fixture
def make_user(portal: Portal) -> MakeUser:
    def make(
        username: str, role: str = "student", password: str | None = PASSWORD
    ) -> accounts.User:
        with portal.engine.begin() as conn:
            user = accounts.create_user(portal, conn, username, role=role)
            if password is not None:
                accounts.store_password(
                    portal, conn, user.id, accounts.seal_password(portal, user.id, password)
                )
        return user

    return make


CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]{64})"')


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page hands out (from its meta tag)."""
    response = client.get(path, follow_redirects=True)
    match = CSRF.search(response.text)
    assert match is not None, f"no CSRF token on {path}: {response.status_code}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


Login = Callable[..., TestClient]


@pytest.fixture
def logged_in(portal: Portal, make_user: MakeUser) -> Iterator[Login]:
    """Make `username` (if needed) and return a fresh client logged in as them."""
    clients: list[TestClient] = []
    app = create_app(portal.settings, portal=portal)

    def open_as(username: str, role: str = "student") -> TestClient:
        with portal.engine.connect() as conn:
            exists = accounts.find_user(conn, username) is not None
        if not exists:
            make_user(username, role)
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        login(client, username)
        return client

    yield open_as
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def get_csrf() -> Callable[[TestClient, str], str]:
    return csrf_of


@pytest.fixture
def do_login() -> Callable[..., None]:
    return login


AnswerFields = Callable[..., dict[str, str]]


def answer_fields(questions: list[Any], wrong: frozenset[str] = frozenset()) -> dict[str, str]:
    """Form fields answering every question right, except those in `wrong` (answered wrongly, not blank)."""
    fields: dict[str, str] = {}
    for q in questions:
        miss = q.id in wrong
        if q.kind == "single":
            right = q.item.answer
            fields[f"a-{q.id}"] = str(((right + 1) % len(q.choices) if miss else right) + 1)
        elif q.kind == "multi":
            picks = q.item.answer_indices
            chosen = [i for i in range(len(q.choices)) if i not in picks] if miss else picks
            for i in chosen:
                fields[f"a-{q.id}-{i + 1}"] = "1"
        elif q.cell is not None:
            fields[f"a-{q.id}"] = "zzz" if miss else q.expected("en")
        else:
            fields[f"a-{q.id}"] = (
                "zzz"
                if miss
                else " ".join(a.split("|")[0] for a in q.item.answer_texts)
                if q.kind == "contains"
                else q.item.answer_texts[0]
            )
    return fields


@pytest.fixture
def answers_for() -> AnswerFields:
    return answer_fields


# ---------------------------------------------------------------------------------- a live server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _live_portal(
    settings: PortalSettings, db_path: Path, *, clock: Callable[[], datetime] | None = None
) -> Iterator[tuple[str, Portal]]:
    """(base URL, portal) served until the block ends, with an SQLite database of its own."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings.with_(base_url=base)
    portal = Portal.build(settings, engine=make_engine(f"sqlite:///{db_path}"))
    if clock is not None:
        portal.clock = clock
    migrate(portal.engine)
    config = uvicorn.Config(
        create_app(settings, portal=portal),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **uvicorn_options(settings),  # as `lynx portal serve` starts it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the portal did not start")
    try:
        yield base, portal
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        portal.engine.dispose()


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A function returning a free loopback port."""
    return _free_port


@pytest.fixture
def live_portal() -> Callable[..., Any]:
    """`live_portal(settings, db_path, clock=None)`: a context manager serving the portal on loopback."""
    return _live_portal
