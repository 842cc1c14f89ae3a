"""The schema on SQLite and PostgreSQL: migrations match the table definitions, constraints hold, and the
database never holds a readable password hash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from miniportal import accounts, learning
from miniportal.db import credentials, make_engine, metadata, notes, users, utcnow
from miniportal.migrate import current_revision, head_revision, migrate
from miniportal.service import Portal
from minivault import VaultError

MakeUser = Callable[..., accounts.User]


def test_migrations_reach_head_and_match_the_table_definitions(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert migrate(engine) == head_revision()  # idempotent


def test_check_constraints_reject_an_unknown_role_and_locale(engine: Engine) -> None:
    row = {"username": "x1", "display_name": "x", "timezone": "UTC", "created_at": utcnow()}
    for bad in ({"role": "root", "locale": "en"}, {"role": "student", "locale": "fr"}):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(users).values(**row, **bad))


def test_deleting_a_user_cascades_to_their_state(portal: Portal, make_user: MakeUser) -> None:
    user = make_user("ana")
    with portal.engine.begin() as conn:
        learning.add_note(portal, conn, user.id, "/phases/07", "intro-p1", "mine")
        learning.set_status(portal, conn, user.id, 7, "done")
    with portal.engine.begin() as conn:
        conn.execute(delete(users).where(users.c.id == user.id))
    with portal.engine.connect() as conn:
        assert conn.execute(select(notes)).all() == []
        assert conn.execute(select(credentials)).all() == []
        assert learning.statuses(conn, user.id) == {}


def test_no_readable_argon2_hash_anywhere_in_the_database(
    portal: Portal, make_user: MakeUser, tmp_path: Path
) -> None:
    for name in ("ana", "ben", "cleo"):
        make_user(name)
    with portal.engine.connect() as conn:
        cells = [bytes(c) for c in conn.execute(select(credentials.c.password_hash)).scalars()]
        assert len(cells) == 3
        assert all(b"$argon2" not in cell for cell in cells)
        # ...yet each opens to a real Argon2id hash for its own row only
        user_ids = list(conn.execute(select(credentials.c.user_id)).scalars())
        assert (accounts.stored_hash(portal, conn, user_ids[0]) or "").startswith("$argon2id$")
    if portal.engine.dialect.name == "sqlite":
        portal.engine.dispose()  # checkpoint the WAL into the main file
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("portal.db*"))
        assert b"$argon2id$" not in raw
        assert b"ana" in raw  # the scan does read the data pages


def test_a_sealed_hash_copied_to_another_user_does_not_open(
    portal: Portal, make_user: MakeUser
) -> None:
    ana = make_user("ana")
    ben = make_user("ben")
    with portal.engine.begin() as conn:
        stolen = conn.execute(
            select(credentials.c.password_hash).where(credentials.c.user_id == ana.id)
        ).scalar_one()
        accounts.store_password(portal, conn, ben.id, stolen)
    with portal.engine.connect() as conn, pytest.raises(VaultError, match="authentication failed"):
        accounts.stored_hash(portal, conn, ben.id)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'private' / 'portal.db'}")
    migrate(engine)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "private").iterdir()}
    assert modes["portal.db"] == 0o600
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes


def _autocommit(conn: Connection) -> bool:
    """What the driver itself is set to: psycopg's `autocommit`, or sqlite3's `isolation_level = None`."""
    raw = conn.connection.dbapi_connection
    return getattr(raw, "autocommit", False) is True or getattr(raw, "isolation_level", "") is None


def test_page_reads_run_outside_a_transaction_and_see_committed_rows(portal: Portal) -> None:
    """`Portal.reader()`: autocommit (no BEGIN/ROLLBACK round trips on PostgreSQL), and a read right after a
    committed write sees it."""
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "ana")
        learning.set_status(portal, conn, user.id, 7, "done")
    with portal.reader() as conn:
        assert _autocommit(conn)
        assert learning.statuses(conn, user.id) == {7: "done"}
    with portal.engine.connect() as conn:  # the pooled connection went back as it came
        assert not _autocommit(conn)
