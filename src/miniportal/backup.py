"""Snapshots of the portal database: take, rotate, verify and restore them without losing a committed write.

SQLite snapshots use the online-backup API (`sqlite3.Connection.backup`), never a file copy: a copy of a live
WAL database can miss commits still in `portal.db-wal` or mix pages from two moments. The snapshot is switched
to a rollback journal so it is one self-contained file, integrity-checked, fsynced and only then renamed into
place, so a half-written snapshot never carries a snapshot's name. PostgreSQL snapshots are `pg_dump` custom-
format archives.

A restore never deletes anything: the current database (with its -wal and -shm) is renamed to
`<name>.pre-restore-<UTC stamp>` first. It refuses while a `lynx portal serve` process holds the database's
serve lock (an `flock` the kernel drops even on SIGKILL) unless forced.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from lynx_cortex.paths import project_root
from miniportal.db import metadata

SNAPSHOT = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?-portal\.(db|dump)$")
LAST_OK = ".last_ok"
DEFAULT_KEEP = 14


# ------------------------------------------------------------------------------------------ locations


def _sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise LynxError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _libpq_url(database_url: str) -> str:
    """pg_dump speaks libpq URLs: drop SQLAlchemy's `+psycopg` driver suffix, and the password, which
    travels in PGPASSWORD (see `_pg_env`) so that it never shows up in the process list."""
    parsed = make_url(database_url)
    url = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return url.render_as_string(hide_password=False)


def _pg_env(database_url: str) -> dict[str, str]:
    password = make_url(database_url).password
    return {**os.environ, "PGPASSWORD": str(password)} if password else dict(os.environ)


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def lock_path(database_url: str) -> Path:
    path = _sqlite_path(database_url)
    if path is not None:
        return path.with_name(path.name + ".serve.lock")
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return project_root() / "var" / f"portal-{digest}.serve.lock"


@contextmanager
def serve_lock(database_url: str) -> Iterator[None]:
    """Held by `lynx portal serve` for its lifetime; `restore` checks it to see whether a server is running."""
    path = lock_path(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LynxError(
                f"another portal server is already serving this database ({path})"
            ) from None
        yield
    finally:
        os.close(fd)  # closing drops the lock


def server_running(database_url: str) -> bool:
    path = lock_path(database_url)
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:
        raise LynxError(
            f"cannot check whether a server is running ({path}): {exc.strerror}"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


# ------------------------------------------------------------------------------------------- backup


def _snapshot_name(dest: Path, now: datetime, ext: str) -> Path:
    base = _stamp(now)
    candidate = dest / f"{base}-portal.{ext}"
    counter = 1
    while candidate.exists():
        candidate = dest / f"{base}-{counter}-portal.{ext}"
        counter += 1
    return candidate


def _sqlite_copy(source: Path, target: Path) -> None:
    """Online-backup `source` into `target` (a fresh file), as one self-contained rollback-journal database."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(tmp))
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise LynxError(f"the copy of {source} fails its integrity check: {result}")
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(tmp, 0o600)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def snapshots(dest: Path) -> list[Path]:
    """Snapshots in `dest`, oldest first (names sort by time)."""
    if not dest.is_dir():
        return []
    return sorted(p for p in dest.iterdir() if p.is_file() and SNAPSHOT.match(p.name))


def rotate(dest: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` snapshots; pre-restore copies and other files are never touched."""
    if keep < 1:
        raise LynxError(f"--keep must be at least 1, got {keep}")
    old = snapshots(dest)[:-keep]
    for path in old:
        path.unlink()
    return old


def backup(database_url: str, dest: Path, *, now: datetime, keep: int = DEFAULT_KEEP) -> Path:
    """Take a snapshot into `dest`, record it in `dest/.last_ok`, then rotate; returns the snapshot's path."""
    if keep < 1:
        raise LynxError(f"--keep must be at least 1, got {keep}")
    dest.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(database_url)
    if source is not None:
        if not source.is_file():
            raise LynxError(f"no database at {source}; nothing to back up")
        target = _snapshot_name(dest, now, "db")
        _sqlite_copy(source, target)
    else:
        target = _snapshot_name(dest, now, "dump")
        tmp = target.with_name(target.name + ".tmp")
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={tmp}", _libpq_url(database_url)],
            _pg_env(database_url),
        )
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        _fsync_dir(dest)
    write_json_atomic(dest / LAST_OK, {"snapshot": target.name, "ts": now.isoformat() + "Z"})
    rotate(dest, keep)
    return target


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    if shutil.which(command[0]) is None:
        raise LynxError(
            f"{command[0]} is not installed; PostgreSQL snapshots need the PostgreSQL client tools"
        )
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603  # fixed argv
    if done.returncode != 0:
        raise LynxError(
            f"{command[0]} failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
        )
    return done.stdout


# ------------------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Verification:
    snapshot: Path
    ok: bool
    integrity: str
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)


def verify(snapshot: Path) -> Verification:
    """Integrity check, schema revision and row counts of every portal table (SQLite), or the archive's table
    of contents (a pg_dump archive must list data for every portal table)."""
    if not snapshot.is_file():
        raise LynxError(f"no snapshot at {snapshot}")
    if snapshot.suffix == ".dump":
        listing = _run(["pg_restore", "--list", str(snapshot)])
        missing = [t for t in metadata.tables if not re.search(rf"TABLE DATA \S+ {t} ", listing)]
        ok = not missing
        return Verification(
            snapshot, ok, "ok" if ok else f"missing tables: {', '.join(missing)}", None
        )
    try:
        conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return Verification(snapshot, False, f"cannot open: {exc}", None)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        broken_fks = conn.execute("PRAGMA foreign_key_check").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            if "alembic_version" in tables
            else None
        )
        counts = {
            name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608  # names from our metadata
            for name in metadata.tables
            if name in tables
        }
    except sqlite3.DatabaseError as exc:
        return Verification(snapshot, False, f"not a readable SQLite database: {exc}", None)
    finally:
        conn.close()
    missing = [name for name in metadata.tables if name not in counts]
    problems = [] if integrity == "ok" else [integrity]
    if broken_fks:
        problems.append(f"{len(broken_fks)} foreign-key violations")
    if missing:
        problems.append(f"missing tables: {', '.join(missing)}")
    return Verification(snapshot, not problems, "; ".join(problems) or "ok", revision, counts)


# ------------------------------------------------------------------------------------------ restore


@dataclass(frozen=True)
class Restored:
    snapshot: Path
    aside: Path | None  # where the previous database went (never deleted)


def restore(database_url: str, snapshot: Path, *, now: datetime, force: bool = False) -> Restored:
    """Put `snapshot` in place of the database; the old one is moved aside, never deleted."""
    check = verify(snapshot)
    if not check.ok:
        raise LynxError(f"{snapshot} does not verify ({check.integrity}); refusing to restore it")
    if server_running(database_url) and not force:
        raise LynxError(
            "the portal server is running on this database; stop it first (or pass --force and restart it after)"
        )
    target = _sqlite_path(database_url)
    if target is None:
        if snapshot.suffix != ".dump":
            raise LynxError("a PostgreSQL database restores from a pg_dump snapshot (*.dump)")
        aside_pg = snapshot.parent / f"pre-restore-{_stamp(now)}-portal.dump.keep"
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--file={aside_pg}",
                _libpq_url(database_url),
            ],
            _pg_env(database_url),
        )
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url(database_url)}",
                str(snapshot),
            ],
            _pg_env(database_url),
        )
        return Restored(snapshot, aside_pg)
    if snapshot.suffix != ".db":
        raise LynxError("an SQLite database restores from an SQLite snapshot (*.db)")
    target.parent.mkdir(parents=True, exist_ok=True)
    aside: Path | None = None
    if target.exists():
        aside = target.with_name(f"{target.name}.pre-restore-{_stamp(now)}")
        counter = 1
        while aside.exists():
            aside = target.with_name(f"{target.name}.pre-restore-{_stamp(now)}-{counter}")
            counter += 1
        for suffix in ("", "-wal", "-shm"):
            part = target.with_name(target.name + suffix)
            if part.exists():
                os.replace(part, aside.with_name(aside.name + suffix))
    else:
        for suffix in (
            "-wal",
            "-shm",
        ):  # stray journal files would be replayed into the restored copy
            stray = target.with_name(target.name + suffix)
            if stray.exists():
                os.replace(stray, stray.with_name(f"{stray.name}.orphan-{_stamp(now)}"))
    _sqlite_copy(snapshot, target)
    return Restored(snapshot, aside)
