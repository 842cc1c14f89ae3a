"""Alembic environment: the caller hands over a live connection, so there is no alembic.ini to keep in sync."""

from __future__ import annotations

from alembic import context

from miniportal.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run portal migrations through miniportal.migrate, which passes a connection"
    )

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
