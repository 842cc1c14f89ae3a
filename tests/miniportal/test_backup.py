"""Backups: the disaster-recovery drill (seed, snapshot, lose the database, restore, verify, compare every row),
rotation, damage detection, and a restore that refuses to run under a live server and never deletes anything."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, select, text

from lynx_cortex.cli import cli
from lynx_cortex.errors import LynxError
from miniportal import accounts, backup, learning
from miniportal.assessment import submit
from miniportal.db import make_engine, metadata
from miniportal.migrate import migrate
from miniportal.questions import ItemBank, grade
from miniportal.servelock import serve_lock, server_running
from miniportal.service import Portal
from miniportal.settings import PortalSettings, normalize_database_url
from miniportal.sidecar import SnapshotKey, sidecar_path

NOW = datetime(2026, 6, 1, 3, 15)
MASTER_KEY = "m" * 40  # the `settings` fixture's
KEY = SnapshotKey(MASTER_KEY)


def run(*args: str, url: str) -> Result:
    return CliRunner().invoke(
        cli, list(args), env={"LYNX_PORTAL_DATABASE_URL": url, "LYNX_PORTAL_MASTER_KEY": MASTER_KEY}
    )


def seed_three_learners(portal: Portal, bank: ItemBank) -> None:
    """Three learners, each with notes, journal entries, a quiz attempt with a wrong answer and review cards."""
    items = [bank.get(i) for i in ("q-00-01", "q-00-06", "c-go-past_simple-3sg")]
    with portal.engine.begin() as conn:
        for n, name in enumerate(("ana", "ben", "cleo")):
            user = accounts.create_user(portal, conn, name)
            accounts.store_password(
                portal,
                conn,
                user.id,
                accounts.seal_password(portal, user.id, f"password-of-{name}"),
            )
            learning.add_note(portal, conn, user.id, "/phases/07", "intro-p1", f"{name}'s note ñ")
            learning.add_note(portal, conn, user.id, "/phases/12", "intro-p2", "second note")
            for k in range(2):
                learning.add_entry(portal, conn, user.id, date(2026, 5, 30 + k), f"{name} day {k}")
            learning.set_status(portal, conn, user.id, n, "done")
            graded = [grade(q, "wrong answer") for q in items if q and q.cell]
            graded += [grade(q, [3]) for q in items if q and q.kind == "single"]
            graded += [grade(q, "PYTHONHASHSEED") for q in items if q and q.kind == "short"]
            submit(portal, conn, user.id, source="quiz", ref="00", phase=0, graded=graded)


def snapshot_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            name: sorted(tuple(row) for row in conn.execute(select(table)).all())
            for name, table in metadata.tables.items()
        }


@pytest.fixture
def sqlite_portal(settings: PortalSettings, tmp_path: Path) -> Iterator[tuple[Portal, str]]:
    url = f"sqlite:///{tmp_path / 'var' / 'portal.db'}"
    portal = Portal.build(settings.with_(database_url=url), engine=make_engine(url))
    portal.clock = lambda: NOW
    migrate(portal.engine)
    yield portal, url
    portal.engine.dispose()


def _bank() -> ItemBank:
    from lynx_cortex.quiz import load_quizzes

    return ItemBank(load_quizzes(Path(__file__).resolve().parents[2] / "data" / "quizzes"))


def test_disaster_recovery_drill_sqlite(sqlite_portal: tuple[Portal, str], tmp_path: Path) -> None:
    portal, url = sqlite_portal
    seed_three_learners(portal, _bank())
    before = snapshot_rows(portal.engine)
    assert len(before["users"]) == 3 and len(before["review_cards"]) == 6
    assert len(before["notes"]) == 6 and len(before["journal_entries"]) == 6
    assert len(before["attempts"]) == 3 and len(before["answers"]) == 9

    dest = tmp_path / "snapshots"
    made = run("portal", "backup", "--dest", str(dest), url=url)
    assert made.exit_code == 0, made.output
    snapshot = Path(made.stdout.strip().splitlines()[-1])
    assert snapshot.parent == dest and snapshot.name.endswith("-portal.db")
    assert (dest / ".last_ok").is_file() and sidecar_path(snapshot).is_file()

    portal.engine.dispose()
    db = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):  # the disaster
        Path(str(db) + suffix).unlink(missing_ok=True)

    restored = run("portal", "restore", str(snapshot), url=url)
    assert restored.exit_code == 0, restored.output
    checked = run("portal", "verify", str(snapshot), url=url)
    assert checked.exit_code == 0 and "signature ok; integrity ok" in checked.stdout
    assert "review_cards: 6 rows" in checked.stdout and "journal_entries: 6 rows" in checked.stdout
    after = snapshot_rows(make_engine(url))
    assert after == before
    # sealed password hashes still open under the same master key after the round trip
    with make_engine(url).connect() as conn:
        user = accounts.find_user(conn, "ben")
        assert user is not None
        assert accounts.check_password(portal, conn, "ben", "password-of-ben") is not None


def test_restore_moves_the_old_database_aside_and_refuses_under_a_running_server(
    sqlite_portal: tuple[Portal, str], tmp_path: Path
) -> None:
    portal, url = sqlite_portal
    seed_three_learners(portal, _bank())
    snapshot = backup.backup(url, tmp_path / "snaps", now=NOW, key=KEY)
    with portal.engine.begin() as conn:
        learning.add_note(portal, conn, 1, "/phases/07", "intro-p1", "written after the snapshot")
    portal.engine.dispose()
    with serve_lock(url):
        assert server_running(url)
        with pytest.raises(LynxError, match="server is running"):
            backup.restore(url, snapshot, now=NOW, key=KEY)
        refused = run("portal", "restore", "--force", str(snapshot), url=url)
        assert refused.exit_code == 2 and "stop it first" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        with pytest.raises(LynxError, match="already serving"), serve_lock(url):
            pass
    assert not server_running(url)
    asked = run("portal", "restore", str(snapshot), url=url)  # not a terminal: no silent replace
    assert asked.exit_code == 2 and "--force" in asked.stderr
    questions: list[str] = []

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    with pytest.raises(LynxError, match="cancelled"):
        backup.restore(url, snapshot, now=NOW, key=KEY, confirm=decline)
    assert len(questions) == 1 and "replaced" in questions[0]
    done = backup.restore(url, snapshot, now=NOW + timedelta(minutes=5), key=KEY)
    assert done.aside is not None and done.aside.is_file()
    with create_engine(f"sqlite:///{done.aside}").connect() as conn:  # the old database, untouched
        bodies = conn.execute(text("SELECT body FROM notes")).scalars().all()
    assert "written after the snapshot" in bodies
    with make_engine(url).connect() as conn:
        assert (
            "written after the snapshot"
            not in conn.execute(text("SELECT body FROM notes")).scalars().all()
        )


def test_rotation_keeps_the_newest_and_never_touches_other_files(
    sqlite_portal: tuple[Portal, str], tmp_path: Path
) -> None:
    _, url = sqlite_portal
    dest = tmp_path / "snaps"
    dest.mkdir()
    (dest / "pre-restore-keep-me.db").write_bytes(b"x")
    made = [
        backup.backup(url, dest, now=NOW + timedelta(hours=h), keep=3, key=KEY) for h in range(5)
    ]
    assert backup.snapshots(dest) == made[-3:]
    assert sorted(p.name for p in dest.glob("*.sig.json")) == [
        sidecar_path(p).name for p in made[-3:]
    ]  # rotation takes the sidecars with their snapshots
    assert (dest / "pre-restore-keep-me.db").exists()
    twice = backup.backup(
        url, dest, now=NOW + timedelta(hours=4), keep=3, key=KEY
    )  # same second: a distinct name
    assert twice != made[-1] and twice.exists()
    assert backup.snapshots(dest) == [
        made[-2],
        made[-1],
        twice,
    ]  # oldest first, by time then counter
    with pytest.raises(LynxError, match="--keep"):
        backup.backup(url, dest, now=NOW, keep=0, key=KEY)


def test_verify_catches_damage_and_names_the_problem(
    sqlite_portal: tuple[Portal, str], tmp_path: Path
) -> None:
    portal, url = sqlite_portal
    seed_three_learners(portal, _bank())
    snapshot = backup.backup(url, tmp_path / "snaps", now=NOW, key=KEY)
    good = backup.verify(snapshot, KEY)
    assert good.ok and good.signed and good.counts["users"] == 3 and good.revision is not None
    damaged = tmp_path / "damaged.db"
    data = bytearray(snapshot.read_bytes())
    for offset in range(4096 * 2, len(data), 4096):  # scribble over every page after the first two
        data[offset + 100 : offset + 400] = os.urandom(300)
    damaged.write_bytes(bytes(data))
    unsigned = backup.verify(damaged, KEY)
    assert not unsigned.ok and "no signature sidecar" in unsigned.integrity
    structural = backup.verify(
        damaged, KEY, allow_unsigned=True
    )  # the structure alone: also caught
    assert not structural.ok and not structural.signed and "signature" not in structural.integrity
    sidecar_path(damaged).write_bytes(sidecar_path(snapshot).read_bytes())
    result = backup.verify(damaged, KEY)
    assert not result.ok and "do not match the signature" in result.integrity
    cli_result = run("portal", "verify", str(damaged), url=url)
    assert cli_result.exit_code == 1 and "failed verification" in cli_result.stderr
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert not backup.verify(garbage, KEY, allow_unsigned=True).ok
    with pytest.raises(LynxError, match="does not verify"):
        backup.restore(url, garbage, now=NOW, key=KEY, allow_unsigned=True)
    missing = run("portal", "verify", str(tmp_path / "nope.db"), url=url)
    assert missing.exit_code != 0 and "no snapshot" in missing.output
    empty = run(
        "portal", "backup", "--dest", str(tmp_path / "s2"), url=f"sqlite:///{tmp_path / 'none.db'}"
    )
    assert empty.exit_code != 0 and "nothing to back up" in empty.output


def _pg_admin_url() -> str | None:
    raw = os.environ.get("LYNX_TEST_POSTGRES_URL")
    return normalize_database_url(raw) if raw else None


def test_disaster_recovery_drill_postgresql(settings: PortalSettings, tmp_path: Path) -> None:
    admin_url = _pg_admin_url()
    if admin_url is None:
        pytest.skip("PostgreSQL tests need LYNX_TEST_POSTGRES_URL")
    name = f"lynx_dr_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"cannot create a PostgreSQL database: {exc.__class__.__name__}")
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        portal = Portal.build(settings.with_(database_url=url), engine=engine)
        portal.clock = lambda: NOW
        migrate(engine)
        seed_three_learners(portal, _bank())
        before = snapshot_rows(engine)
        made = run("portal", "backup", "--dest", str(tmp_path / "pg"), url=url)
        assert made.exit_code == 0, made.output
        snapshot = Path(made.stdout.strip().splitlines()[-1])
        assert snapshot.suffix == ".dump"
        with engine.begin() as conn:  # the disaster
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        restored = run("portal", "restore", "--force", str(snapshot), url=url)
        assert restored.exit_code == 0, restored.output
        # restoring again keeps the data it replaces (now the full database) as a second signed dump that
        # `verify` accepts and rotation never deletes; the same second gets a counter, not an overwrite
        again = run("portal", "restore", "--force", str(snapshot), url=url)
        assert again.exit_code == 0, again.output
        asides = list((tmp_path / "pg").glob("pre-restore-*-portal.dump"))
        assert len(asides) == 2 and not set(asides) & set(backup.snapshots(tmp_path / "pg"))
        second = max(asides, key=lambda p: p.stat().st_mtime_ns)
        kept = run("portal", "verify", str(second), url=url)
        assert kept.exit_code == 0 and "users: 3 rows" in kept.stdout, kept.output
        checked = run("portal", "verify", str(snapshot), url=url)
        assert checked.exit_code == 0 and "signature ok" in checked.stdout
        assert "users: 3 rows" in checked.stdout and "review_cards: 6 rows" in checked.stdout
        engine.dispose()
        assert snapshot_rows(engine) == before
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_postgres_password_travels_in_the_environment_not_in_argv() -> None:
    url = "postgresql+psycopg://lynx:s3cret@db.example:5432/portal"
    argv_url = backup._libpq_url(url)
    assert "s3cret" not in argv_url and argv_url.startswith("postgresql://lynx@db.example:5432/")
    assert backup._pg_env(url)["PGPASSWORD"] == "s3cret"
