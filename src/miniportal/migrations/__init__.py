"""Alembic migrations for the portal; run them with `lynx portal migrate` (or `miniportal.migrate`)."""
