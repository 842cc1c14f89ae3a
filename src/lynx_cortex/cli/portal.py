"""`lynx up` and `lynx portal serve|migrate|create-admin|invite|rotate-key`: run and operate the portal.

Settings come from `LYNX_PORTAL_*`; secrets missing there are read from `var/secrets.env`, which `lynx up` creates
(mode 0600, git-ignored) on its first run. Commands that issue an invite print its URL as their last line, so
scripts can take it with `tail -n 1`.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from lynx_cortex.cli._common import CONTEXT, EXIT_FAILED_CHECK, OUT_DIR, CliError, check_listen
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import project_root

if TYPE_CHECKING:
    from miniportal.service import Portal
    from miniportal.sidecar import SnapshotKey


class CheckFailedError(CliError):
    """A check that ran and found a problem (a snapshot that does not verify): one line, exit 1."""

    exit_code = EXIT_FAILED_CHECK


def secrets_file() -> Path:
    return project_root() / "var" / "secrets.env"


def _portal(host: str | None = None, port: int | None = None) -> Portal:
    """The portal from the environment; serving on HOST:PORT makes that the invite links' address unless
    LYNX_PORTAL_BASE_URL says otherwise (a proxy's public https address, say)."""
    import os

    from miniportal.service import Portal
    from miniportal.settings import settings_from_env

    settings = settings_from_env(secrets_file=secrets_file())
    if host is not None and port is not None and not os.environ.get("LYNX_PORTAL_BASE_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104  # only a display name
        shown = f"[{shown}]" if ":" in shown else shown
        settings = settings.with_(base_url=f"http://{shown}:{port}")
    try:
        return Portal.build(settings)
    except OSError as exc:  # e.g. a SQLite path under a file
        raise LynxError(
            f"cannot open the database {settings.database_url!r}: {exc.strerror or exc}"
        ) from None


def _migrate(portal: Portal) -> str:
    from sqlalchemy.exc import SQLAlchemyError

    from miniportal.migrate import migrate

    try:
        return migrate(portal.engine)
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]  # SQLAlchemy appends a "Background on this error" line
        raise LynxError(
            f"cannot migrate {portal.engine.url!r}: {exc.__class__.__name__}: {reason}"
        ) from None


def _serve(portal: Portal, host: str, port: int, *, tutor_url: str | None = None) -> None:
    import uvicorn

    from miniportal.app import create_app
    from miniportal.servelock import serve_lock
    from miniportal.server import uvicorn_options

    settings = portal.settings
    if tutor_url is not None and settings.tutor_url is None:  # LYNX_PORTAL_TUTOR_URL wins
        settings = settings.with_(tutor_url=tutor_url)
    app = create_app(settings, portal=portal)
    with serve_lock(portal.settings.database_url):
        click.echo(f"portal: serving on http://{host}:{port} (Ctrl+C to stop)", err=True)
        uvicorn.run(app, host=host, port=port, log_level="info", **uvicorn_options(portal.settings))


host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind."
)
port_option = click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)


@click.group("portal", context_settings=CONTEXT, short_help="Serve and operate the learner portal.")
def group() -> None:
    """The learner portal (phase 41): serve it, migrate its database, manage accounts, keys and backups."""


@group.command("serve", short_help="Serve the portal.")
@host_option
@port_option
def serve(host: str, port: int) -> None:
    """Serve the portal (the database must be migrated: `lynx portal migrate`)."""
    check_listen(host, port)
    _serve(_portal(host, port), host, port)


@group.command("migrate", short_help="Upgrade the database to the latest schema.")
def migrate_cmd() -> None:
    """Upgrade the database (LYNX_PORTAL_DATABASE_URL, default var/portal.db) to the latest schema."""
    portal = _portal()
    click.echo(f"database at revision {_migrate(portal)}")


@group.command("create-admin", short_help="Create an admin and print an invite link.")
@click.argument("username")
def create_admin(username: str) -> None:
    """Create admin USERNAME if needed and print a single-use invite link (24 h)."""
    from miniportal.operations import invite

    portal = _portal()
    _migrate(portal)
    user, url, created = invite(portal, username, role="admin")
    click.echo(
        f"{'created' if created else 'existing'} admin {user.username}; invite link:", err=True
    )
    click.echo(url)


@group.command("invite", short_help="Print an invite link for a user.")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["student", "teacher", "admin"]),
    default="student",
    show_default=True,
    help="Role for a new account (must match an existing one).",
)
def invite_cmd(username: str, role: str) -> None:
    """Print a fresh invite link for USERNAME, creating the account if needed."""
    from miniportal.operations import invite

    portal = _portal()
    _migrate(portal)
    user, url, created = invite(portal, username, role=role)
    click.echo(
        f"{'created' if created else 'existing'} {user.role} {user.username}; invite link:",
        err=True,
    )
    click.echo(url)


@group.command("rotate-key", short_help="Re-encrypt sealed columns under a new master key.")
@click.option(
    "--new-key-env",
    default="LYNX_PORTAL_NEW_MASTER_KEY",
    show_default=True,
    help="Environment variable holding the new master key.",
)
def rotate_key(new_key_env: str) -> None:
    """Re-encrypt every sealed column under a new master key, then tell you what to set."""
    import os

    from miniportal.operations import rotate_master_key

    new_key = os.environ.get(new_key_env)
    if not new_key:
        raise LynxError(
            f"set {new_key_env} to the new master key (at least 32 bytes of random text)"
        )
    portal = _portal()
    counts = rotate_master_key(portal, new_key)
    for name, count in counts.items():
        click.echo(f"{name}: {count} cells re-encrypted")
    click.echo(
        f"now set LYNX_PORTAL_MASTER_KEY (environment or var/secrets.env) to the value of "
        f"{new_key_env}, and restart the portal"
    )


def _database_url() -> str:
    """The database URL alone: backups and restores must work without the portal's secrets."""
    import os

    from miniportal.settings import default_database_url, normalize_database_url

    url = os.environ.get("LYNX_PORTAL_DATABASE_URL") or _from_secrets_file(
        "LYNX_PORTAL_DATABASE_URL"
    )
    return normalize_database_url(url or default_database_url())


def _from_secrets_file(name: str) -> str | None:
    from miniportal.settings import read_secrets_file

    path = secrets_file()
    return read_secrets_file(path).get(name) if path.is_file() else None


def _snapshot_key() -> SnapshotKey:
    """The snapshot signing key, from the master key alone (backups need no other secret)."""
    import os

    from miniportal.sidecar import SnapshotKey

    master = os.environ.get("LYNX_PORTAL_MASTER_KEY") or _from_secrets_file(
        "LYNX_PORTAL_MASTER_KEY"
    )
    if not master:
        raise LynxError(
            "snapshots are signed and checked with the portal's master key: set "
            "LYNX_PORTAL_MASTER_KEY (environment or var/secrets.env)"
        )
    try:
        return SnapshotKey(master)
    except ValueError as exc:
        raise LynxError(f"LYNX_PORTAL_MASTER_KEY: {exc}") from None


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _utcnow() -> datetime:
    from miniportal.db import utcnow

    return utcnow()


@group.command("backup", short_help="Snapshot the database, keep the newest KEEP.")
@click.option(
    "--dest",
    type=OUT_DIR,
    default=None,
    help="Snapshot folder (default var/snapshots).",
)
@click.option(
    "--keep",
    default=14,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Snapshots to keep.",
)
def backup_cmd(dest: Path | None, keep: int) -> None:
    """Snapshot the database (SQLite online backup, or pg_dump), sign it, then keep only the newest KEEP.

    The signature (SNAPSHOT.sig.json beside it: size, schema revision, row counts and an HMAC under a key
    derived from LYNX_PORTAL_MASTER_KEY) is what `verify` and `restore` check.
    """
    from miniportal.backup import backup

    folder = dest if dest is not None else project_root() / "var" / "snapshots"
    key = _snapshot_key()
    try:
        snapshot = backup(_database_url(), folder, now=_utcnow(), key=key, keep=keep)
    except (OSError, sqlite3.Error) as exc:
        raise LynxError(f"backup into {folder} failed: {exc}") from None
    click.echo(str(snapshot))


allow_unsigned_option = click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Accept a snapshot with no .sig.json beside it (taken before signing existed), on its structure "
    "alone. A signature that does not match is never accepted.",
)


@group.command("verify", short_help="Check a snapshot's signature and print its row counts.")
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@allow_unsigned_option
def verify_cmd(snapshot: Path, allow_unsigned: bool) -> None:
    """Check SNAPSHOT's signature, integrity and row counts, and print them.

    Exit status: 0 sound; 1 the check ran and failed (changed since the backup, damaged, unsigned, or signed
    under another master key), with one line naming the file; 2 it could not be checked (no such file, no
    master key).
    """
    from miniportal.backup import verify

    result = verify(snapshot, _snapshot_key(), allow_unsigned=allow_unsigned)
    if not result.ok:
        raise CheckFailedError(f"{snapshot} failed verification: {result.integrity}")
    signature = "signature ok" if result.signed else "UNSIGNED (--allow-unsigned)"
    click.echo(
        f"{snapshot}: {signature}; integrity {result.integrity}; "
        f"schema revision {result.revision or '?'}"
    )
    for name, count in result.counts.items():
        click.echo(f"  {name}: {_rows(count)}")


def _confirmation(force: bool) -> Callable[[str], bool] | None:
    if force:
        return None

    def ask(question: str) -> bool:
        if not sys.stdin.isatty():
            raise LynxError(
                "restore replaces the current portal data (it is moved aside, not deleted); "
                "pass --force to go ahead without this question"
            )
        return click.confirm(question, default=False, err=True)

    return ask


@group.command("restore", short_help="Replace the database with a snapshot.")
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace the current data without asking. A running server still stops the restore.",
)
@allow_unsigned_option
def restore_cmd(snapshot: Path, force: bool, allow_unsigned: bool) -> None:
    """Replace the database with SNAPSHOT once it verifies; the current database is moved aside, never
    deleted. Refuses while a portal server is running on the database: stop it first."""
    from miniportal.backup import restore

    try:
        done = restore(
            _database_url(),
            snapshot,
            now=_utcnow(),
            key=_snapshot_key(),
            allow_unsigned=allow_unsigned,
            confirm=_confirmation(force),
        )
    except (OSError, sqlite3.Error) as exc:
        raise LynxError(f"restore of {snapshot} failed: {exc}") from None
    if done.aside is not None:
        click.echo(f"previous database kept at {done.aside}", err=True)
    click.echo(f"restored {snapshot}")


@click.command(
    "up", context_settings=CONTEXT, short_help="Start the learner portal with embedded defaults."
)
@host_option
@port_option
@click.option(
    "--no-serve",
    is_flag=True,
    help="Prepare everything (secrets, database, admin invite, the tutor's model check), then exit.",
)
@click.option(
    "--tutor-port",
    default=8765,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port of the tutor service (always on 127.0.0.1: only the portal calls it).",
)
@click.option("--no-tutor", is_flag=True, help="Serve the portal alone, without the tutor service.")
def up(host: str, port: int, no_serve: bool, tutor_port: int, no_tutor: bool) -> None:
    """Start both products with the embedded defaults: the learner portal (SQLite at var/portal.db) and the
    grammar tutor service it calls for "Ask the tutor".

    The first run writes development secrets to var/secrets.env (mode 0600) and, until an admin has set a
    password, prints a single-use admin invite link.
    """
    from miniportal.operations import admin_needs_invite, ensure_dev_secrets, invite

    if not no_serve:
        check_listen(host, port)
        if not no_tutor:
            check_listen(TUTOR_HOST, tutor_port)
    path = secrets_file()
    if ensure_dev_secrets(path):
        click.echo(
            f"portal: wrote development secrets to {path} (mode 0600; keep it private)", err=True
        )
    portal = _portal(host, port)
    click.echo(f"portal: database {portal.engine.url!r} at revision {_migrate(portal)}", err=True)
    if admin_needs_invite(portal):
        _, url, _ = invite(portal, "admin", role="admin")
        click.echo(
            "portal: open this single-use link to set the admin password (valid 24 h):", err=True
        )
        click.echo(url)
    if no_serve:
        if not no_tutor:
            _check_tutor_model()
        return
    if no_tutor:
        _serve(portal, host, port)
        return
    from lynx_cortex.cli.companion import start_tutor

    tutor = start_tutor(TUTOR_HOST, tutor_port)
    try:
        _serve(portal, host, port, tutor_url=tutor.url)
    finally:
        tutor.stop()


TUTOR_HOST = "127.0.0.1"


def _check_tutor_model() -> None:
    """What the tutor service checks before it says ready: the shipped weights match their sha256."""
    from minimodel.shipped import verify_shipped

    click.echo(f"tutor: model verified ({verify_shipped('grammar')})", err=True)
