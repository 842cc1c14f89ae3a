"""Portal fixtures: a migrated database on SQLite and (when LYNX_TEST_POSTGRES_URL is set) PostgreSQL,
cheap Argon2 costs, a controllable clock, a tiny docs tree, and an HTTP client with login helpers."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from miniportal import accounts
from miniportal.app import create_app
from miniportal.db import make_engine, metadata, utcnow
from miniportal.migrate import head_revision, migrate
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


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, made once: each test gets a copy (a file copy instead of a migration run)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "portal.db"
    eng = make_engine(f"sqlite:///{path}")
    migrate(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the main file
    return path


def _pg_engine(url: str, schema: str) -> Engine:
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


@dataclass(frozen=True)
class _PgSchema:
    """A migrated schema, its tables (children before parents: the order to empty them) and sequences."""

    url: str
    name: str
    tables: tuple[str, ...]
    sequences: tuple[str, ...]


def _pg_layout(conn: Connection, schema: str) -> tuple[frozenset[str], tuple[str, ...], str | None]:
    """The tables (alembic_version left out), sequences and revision `schema` holds now."""
    tables = frozenset(
        conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        ).scalars()
    )
    sequences = conn.execute(
        text("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"),
        {"s": schema},
    ).scalars()
    revision = (
        conn.execute(text("SELECT max(version_num) FROM alembic_version")).scalar()
        if "alembic_version" in tables
        else None
    )
    return tables - {"alembic_version"}, tuple(sorted(sequences)), revision


def _pg_migrated_schema(url: str) -> _PgSchema:
    name = f"lynx_test_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    finally:
        admin.dispose()
    eng = _pg_engine(url, name)
    try:
        migrate(eng)
        with eng.connect() as conn:
            tables, sequences, _ = _pg_layout(conn, name)
            ordered = [t.name for t in reversed(metadata.sorted_tables) if t.name in tables]
            assert set(ordered) == tables, (
                f"tables the code does not define: {tables - set(ordered)}"
            )
            seeded = [t for t in ordered if conn.execute(metadata.tables[t].select()).first()]
            assert not seeded, f"migrations seed {seeded}: emptying would not give a fresh schema"
        return _PgSchema(url, name, tuple(ordered), sequences)
    except BaseException:
        _pg_drop(_PgSchema(url, name, (), ()))
        raise
    finally:
        eng.dispose()


def _pg_drop(schema: _PgSchema) -> None:
    admin = create_engine(schema.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema.name}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def _pg_schemas() -> Iterator[list[_PgSchema]]:
    """A migrated PostgreSQL schema for this session (each xdist worker has its own), emptied after every test
    instead of created, migrated and dropped for each (a third of a second apiece); replaced whenever a test
    left it at another revision or with other tables. Holds no schema until the first PostgreSQL test."""
    held: list[_PgSchema] = []
    yield held
    for schema in held:
        _pg_drop(schema)


def _pg_reset(schema: _PgSchema) -> bool:
    """Delete every row and restart every sequence, as in a fresh schema (DELETE, not TRUNCATE: on tables this
    small it takes milliseconds where TRUNCATE's new files take a quarter of a second). False when the schema
    is no longer the migrated one and must be replaced."""
    eng = _pg_engine(schema.url, schema.name)
    try:
        with eng.begin() as conn:
            # a connection the test leaked, holding locks, makes the reset fail instead of hang
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            expected = (frozenset(schema.tables), schema.sequences, head_revision())
            if _pg_layout(conn, schema.name) != expected:
                return False
            for table in schema.tables:
                conn.execute(metadata.tables[table].delete())
            for sequence in schema.sequences:
                qualified = f'"{schema.name}"."{sequence}"'
                conn.execute(text("SELECT setval(:s, 1, false)"), {"s": qualified})
        return True
    finally:
        eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _pg_schemas: list[_PgSchema],
) -> Iterator[Engine]:
    """A migrated, empty database: a copy of the session's SQLite template, or the session's PostgreSQL schema
    (emptied after the test)."""
    if request.param == "sqlite":
        for made in _sqlite_template.parent.glob("portal.db*"):
            shutil.copy2(made, tmp_path / made.name)  # copy2: the owner-only mode too
        eng = make_engine(f"sqlite:///{tmp_path / 'portal.db'}")
        yield eng
        eng.dispose()
        return
    url = _postgres_url()
    if url is None:
        pytest.skip(
            "PostgreSQL tests need LYNX_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    url = normalize_database_url(url)
    if not _pg_schemas:
        try:
            _pg_schemas.append(_pg_migrated_schema(url))
        except OperationalError as exc:
            pytest.skip(
                f"PostgreSQL at LYNX_TEST_POSTGRES_URL is not reachable: {exc.__class__.__name__}"
            )
    schema = _pg_schemas[0]
    eng = _pg_engine(url, schema.name)
    try:
        yield eng
    finally:
        eng.dispose()
        if not _pg_reset(schema):
            _pg_schemas.clear()
            _pg_drop(schema)


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


@contextmanager
def _count_queries(portal: Portal) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(portal.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(portal.engine, "before_cursor_execute", record)


@pytest.fixture
def count_queries() -> Callable[[Portal], Any]:
    """`with count_queries(portal) as statements:` collects every SQL statement the block sends."""
    return _count_queries


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


@pytest.fixture
def sync_api() -> Any:
    """Playwright's sync API, or a skip saying what is missing (the package, or Debian's chromium)."""
    from .browserkit import CHROMIUM

    api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need the playwright package (dev dependency)"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("browser tests need Debian's chromium package (apt-get install -y chromium)")
    return api
