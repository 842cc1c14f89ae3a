"""Migration 0003 on both databases: an audit log written at 0002 survives the upgrade untouched (the SQLite
path rebuilds the table), the new column is usable, and the downgrade gives 0002's table back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, select, text

from miniportal import audit, learner
from miniportal.db import audit_log
from miniportal.migrate import _config, migrate
from miniportal.service import Portal


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0003_keeps_old_rows_and_round_trips(portal: Portal) -> None:
    engine = portal.engine
    with engine.begin() as conn:
        user = conn.execute(
            text(
                "INSERT INTO users (username, display_name, role, locale, timezone, created_at) "
                "VALUES ('ana', 'Ana', 'student', 'en', 'UTC', :now) RETURNING id"
            ),
            {"now": portal.now()},
        ).scalar_one()
    _downgrade(engine, "0002")
    assert "subject_id" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    with engine.begin() as conn:  # an event written by the 0002 code (no subject column)
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor_id, event, details) VALUES (:at, :u, 'logout', :d)"
            ),
            {"at": portal.now(), "u": user, "d": b"sealed"},
        )
    assert migrate(engine) == "0003"
    with engine.begin() as conn:
        old = conn.execute(
            select(audit_log.c.event, audit_log.c.details, audit_log.c.subject_id)
        ).one()
        assert tuple(old) == ("logout", b"sealed", None)
        audit.record(portal, conn, "learner.notes_read", actor_id=user, subject_id=user)
        assert [r.event for r in audit.reads_of(conn, user)] == ["learner.notes_read"]
        assert learner.find_learner(conn, "ana").id == user
    _downgrade(engine, "0002")
    with engine.connect() as conn:
        events = conn.execute(text("SELECT event FROM audit_log ORDER BY id")).scalars().all()
    assert events == ["logout", "learner.notes_read"]
    assert (
        migrate(engine) == "0003"
    )  # and up again: the fixture hands back a head-revision database
