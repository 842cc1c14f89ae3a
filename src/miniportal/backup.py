"""Snapshots of the portal database: take, sign, rotate, verify and restore them without losing a committed write.

SQLite snapshots use the online-backup API (`sqlite3.Connection.backup`), never a file copy: a copy of a live
WAL database can miss commits still in `portal.db-wal` or mix pages from two moments. The snapshot is switched
to a rollback journal so it is one self-contained file, integrity-checked, signed (`miniportal.sidecar`: size,
schema revision, row counts and an HMAC under a key derived from the master key), fsynced and only then renamed
into place, so a half-written snapshot never carries a snapshot's name. PostgreSQL snapshots are `pg_dump`
custom-format archives with the same sidecar.

`verify` and `restore` recompute the HMAC first: a one-byte edit anywhere fails it, even one that SQLite's own
integrity check cannot see. A restore never deletes anything: the current database (with its -wal and -shm) is
renamed to `<name>.pre-restore-<UTC stamp>` first. It refuses while a portal server holds the database's serve
lock (`miniportal.servelock`), and holds that lock itself while it works, so no server can start mid-restore.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from miniportal import sidecar
from miniportal.db import metadata
from miniportal.servelock import ServerRunningError, serve_lock
from miniportal.sidecar import Contents, SignatureError, SnapshotKey, UnsignedError

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


# ------------------------------------------------------------------------------------------- backup


def _snapshot_name(dest: Path, now: datetime, ext: str, prefix: str = "") -> Path:
    """A fresh `<prefix><stamp>[-n]-portal.<ext>` in `dest`; a counter keeps two in one second apart."""
    base = f"{prefix}{_stamp(now)}"
    candidate = dest / f"{base}-portal.{ext}"
    counter = 1
    while candidate.exists():
        candidate = dest / f"{base}-{counter}-portal.{ext}"
        counter += 1
    return candidate


def _sqlite_copy(source: Path, tmp: Path) -> None:
    """Online-backup `source` into `tmp` (replaced if present), as one self-contained rollback-journal
    database, integrity-checked, mode 0600 and fsynced; the caller renames it into place."""
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


def _publish(tmp: Path, target: Path) -> None:
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def snapshots(dest: Path) -> list[Path]:
    """Snapshots in `dest`, oldest first (names sort by time)."""
    if not dest.is_dir():
        return []
    found = [(m, p) for p in dest.iterdir() if p.is_file() and (m := SNAPSHOT.match(p.name))]
    # by stamp, then counter: `…Z-portal.db` came before `…Z-1-portal.db`, though it sorts after it as text
    found.sort(key=lambda mp: (mp[0].group(1), int(mp[0].group(2) or 0)))
    return [p for _, p in found]


def rotate(dest: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` snapshots and their sidecars; pre-restore copies and other files are
    never touched."""
    if keep < 1:
        raise LynxError(f"--keep must be at least 1, got {keep}")
    old = snapshots(dest)[:-keep]
    for path in old:
        path.unlink()
        sidecar.sidecar_path(path).unlink(missing_ok=True)
    return old


def _pg_dump(database_url: str, tmp: Path) -> None:
    _run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={tmp}", _libpq_url(database_url)],
        _pg_env(database_url),
    )
    os.chmod(tmp, 0o600)


def _signed_publish(
    tmp: Path, target: Path, key: SnapshotKey, now: datetime, *, strict: bool = True
) -> None:
    """Inspect and sign the finished temporary file, then give it its name: sidecar first, so a file with a
    snapshot's name always has its signature beside it. `strict=False` signs whatever is there (the safety
    copy a restore takes of a database that may be empty or half-dropped)."""
    problems, contents = _inspect(tmp)
    if problems and strict:
        tmp.unlink(missing_ok=True)
        raise LynxError(
            f"the new snapshot does not check out ({'; '.join(problems)}); none written"
        )
    sidecar.sign(tmp, key, contents, taken_at=now, final=target)
    _publish(tmp, target)


def backup(
    database_url: str, dest: Path, *, now: datetime, key: SnapshotKey, keep: int = DEFAULT_KEEP
) -> Path:
    """Take and sign a snapshot into `dest`, record it in `dest/.last_ok`, then rotate; returns its path."""
    if keep < 1:
        raise LynxError(f"--keep must be at least 1, got {keep}")
    dest.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(database_url)
    if source is not None:
        if not source.is_file():
            raise LynxError(f"no database at {source}; nothing to back up")
        target = _snapshot_name(dest, now, "db")
        tmp = target.with_name(target.name + ".tmp")
        _sqlite_copy(source, tmp)
    else:
        target = _snapshot_name(dest, now, "dump")
        tmp = target.with_name(target.name + ".tmp")
        _pg_dump(database_url, tmp)
    _signed_publish(tmp, target, key, now)
    write_json_atomic(dest / LAST_OK, {"snapshot": target.name, "ts": now.isoformat() + "Z"})
    rotate(dest, keep)
    return target


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise LynxError(
            f"{name} is not installed; PostgreSQL snapshots need the PostgreSQL client tools"
        )
    return found


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    _tool(command[0])
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603  # fixed argv
    if done.returncode != 0:
        raise LynxError(
            f"{command[0]} failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
        )
    return done.stdout


# ------------------------------------------------------------------------------------------- inspect

_COPY = re.compile(rb'^COPY (?:"?[^" .]+"?\.)?"?([^" (]+)"? \(')


def _dump_contents(snapshot: Path) -> tuple[list[str], Contents]:
    """Row counts and schema revision of a pg_dump archive, read from its data section (one COPY line per
    row) without a database: `pg_restore --data-only --file=-` streams it as text."""
    counts: dict[str, int] = {}
    revision: str | None = None
    table: str | None = None
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603  # fixed argv
            [_tool("pg_restore"), "--data-only", "--file=-", str(snapshot)],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert process.stdout is not None  # noqa: S101  # PIPE was asked for
        for raw in process.stdout:
            line = raw.rstrip(b"\n")
            if table is None:
                found = _COPY.match(line)
                if found is not None:
                    table = found.group(1).decode("utf-8", "replace")
                    counts[table] = 0
            elif line == b"\\.":
                table = None
            else:
                counts[table] += 1
                if table == "alembic_version":
                    revision = line.split(b"\t")[0].decode("utf-8", "replace")
        code = process.wait()
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace").strip().splitlines()
    if code != 0:
        return [f"pg_restore cannot read it: {message[-1] if message else code}"], Contents(
            "pg_dump", None
        )
    missing = [t for t in metadata.tables if t not in counts]
    problems = [f"missing tables: {', '.join(missing)}"] if missing else []
    ours = {name: counts[name] for name in metadata.tables if name in counts}
    return problems, Contents("pg_dump", revision, ours)


def _sqlite_contents(snapshot: Path) -> tuple[list[str], Contents]:
    """Integrity and foreign-key checks, schema revision and the row count of every portal table."""
    empty = Contents("sqlite", None)
    try:
        conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"], empty
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
        return [f"not a readable SQLite database: {exc}"], empty
    finally:
        conn.close()
    missing = [name for name in metadata.tables if name not in counts]
    problems = [] if integrity == "ok" else [integrity]
    if broken_fks:
        problems.append(f"{len(broken_fks)} foreign-key violations")
    if missing:
        problems.append(f"missing tables: {', '.join(missing)}")
    return problems, Contents("sqlite", revision, counts)


def _inspect(snapshot: Path) -> tuple[list[str], Contents]:
    is_dump = ".dump" in snapshot.suffixes  # also `….dump.tmp`
    return _dump_contents(snapshot) if is_dump else _sqlite_contents(snapshot)


# ------------------------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Verification:
    snapshot: Path
    ok: bool
    integrity: str  # "ok", or what is wrong
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    signed: bool = False


def verify(snapshot: Path, key: SnapshotKey, *, allow_unsigned: bool = False) -> Verification:
    """The signature first (a one-byte edit anywhere fails it), then the structure: SQLite's integrity and
    foreign-key checks, or the archive's data section; the schema revision and row counts must match what the
    sidecar recorded at backup time. `allow_unsigned` accepts a snapshot that has no sidecar at all (one taken
    before signing existed) on its structure alone; a sidecar that does not match is never accepted."""
    if not snapshot.is_file():
        raise LynxError(f"no snapshot at {snapshot}")
    signed: sidecar.Signed | None = None
    try:
        signed = sidecar.check(snapshot, key)
    except UnsignedError as exc:
        if not allow_unsigned:
            hint = "; if you know where it came from, pass --allow-unsigned to check only its structure"
            return Verification(snapshot, False, f"{exc}{hint}", None)
    except SignatureError as exc:
        return Verification(snapshot, False, str(exc), None)
    problems, contents = _inspect(snapshot)
    if signed is not None and not problems:
        claimed = signed.contents
        if claimed.revision != contents.revision:
            problems.append(f"schema revision {contents.revision}, signed as {claimed.revision}")
        if claimed.counts != contents.counts:
            problems.append("row counts differ from the signed ones")
    return Verification(
        snapshot,
        not problems,
        "; ".join(problems) or "ok",
        contents.revision,
        contents.counts,
        signed=signed is not None,
    )


# ------------------------------------------------------------------------------------------ restore


@dataclass(frozen=True)
class Restored:
    snapshot: Path
    aside: Path | None  # where the previous database went (never deleted)


REPLACE_QUESTION = (
    "the current portal data will be replaced by {snapshot} (it is kept at {aside}); go on?"
)
Confirm = Callable[[str], bool]


def restore(
    database_url: str,
    snapshot: Path,
    *,
    now: datetime,
    key: SnapshotKey,
    allow_unsigned: bool = False,
    confirm: Confirm | None = None,
) -> Restored:
    """Put `snapshot` in place of the database; the old one is moved aside, never deleted.

    Refuses a snapshot that does not verify and a database a server is using (nothing overrides either);
    `confirm`, when given, is asked before existing data is replaced and must answer True."""
    check = verify(snapshot, key, allow_unsigned=allow_unsigned)
    if not check.ok:
        raise LynxError(f"{snapshot} does not verify ({check.integrity}); refusing to restore it")
    target = _sqlite_path(database_url)
    if target is None and snapshot.suffix != ".dump":
        raise LynxError("a PostgreSQL database restores from a pg_dump snapshot (*.dump)")
    if target is not None and snapshot.suffix != ".db":
        raise LynxError("an SQLite database restores from an SQLite snapshot (*.db)")
    try:
        with serve_lock(database_url):  # held throughout: no server can start mid-restore
            if target is None:
                return _restore_pg(database_url, snapshot, now, key, confirm)
            return _restore_sqlite(target, snapshot, now, confirm)
    except ServerRunningError:
        raise LynxError(
            "the portal server is running on this database; stop it first, then restore "
            "(--force only skips the confirmation, never a running server)"
        ) from None


def _ask(confirm: Confirm | None, snapshot: Path, aside: str) -> None:
    if confirm is not None and not confirm(REPLACE_QUESTION.format(snapshot=snapshot, aside=aside)):
        raise LynxError("restore cancelled; nothing was changed")


def _restore_pg(
    database_url: str, snapshot: Path, now: datetime, key: SnapshotKey, confirm: Confirm | None
) -> Restored:
    # a plain `.dump` that `verify`/`restore` take as is; the prefix keeps it out of rotation (SNAPSHOT)
    aside = _snapshot_name(snapshot.parent, now, "dump", prefix="pre-restore-")
    _ask(confirm, snapshot, str(aside))
    tmp = aside.with_name(aside.name + ".tmp")
    _pg_dump(database_url, tmp)
    _signed_publish(tmp, aside, key, now, strict=False)
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
    return Restored(snapshot, aside)


def _restore_sqlite(
    target: Path, snapshot: Path, now: datetime, confirm: Confirm | None
) -> Restored:
    target.parent.mkdir(parents=True, exist_ok=True)
    aside: Path | None = None
    if target.exists():
        aside = target.with_name(f"{target.name}.pre-restore-{_stamp(now)}")
        counter = 1
        while aside.exists():
            aside = target.with_name(f"{target.name}.pre-restore-{_stamp(now)}-{counter}")
            counter += 1
        _ask(confirm, snapshot, str(aside))
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
    tmp = target.with_name(target.name + ".tmp")
    _sqlite_copy(snapshot, tmp)
    _publish(tmp, target)
    return Restored(snapshot, aside)
