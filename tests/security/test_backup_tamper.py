"""Hole: a tampered snapshot passed `verify` and `restore` (7 of 10 one-byte edits inside data pages came back
"integrity ok"): SQLite's integrity check sees broken page structure, not a changed value.

Now `backup` writes `<snapshot>.sig.json` (size, schema revision, row counts, HMAC-SHA256 under a key derived
from the master key) and `verify`/`restore` recompute it first. A one-byte edit anywhere makes
`lynx portal verify` exit 1 with one line naming the file, and `lynx portal restore` refuse (exit 2)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lynx_cortex.cli import cli
from miniportal import accounts, backup, learning
from miniportal.db import make_engine
from miniportal.migrate import migrate
from miniportal.service import Portal
from miniportal.settings import PortalSettings, normalize_database_url
from miniportal.sidecar import SnapshotKey, sidecar_path
from minivault import Argon2Params

MASTER_KEY = "k" * 44
NOTE = "a sentence long enough to find in the file"
#: Where to flip a byte, as fractions of the file (a 20-page snapshot: headers, b-tree pages, data pages).
FRACTIONS = [i / 29 for i in range(29)]


def _cli(*args: str, url: str, master_key: str = MASTER_KEY) -> Result:
    env = {"LYNX_PORTAL_DATABASE_URL": url, "LYNX_PORTAL_MASTER_KEY": master_key}
    return CliRunner().invoke(cli, list(args), env=env)


def _seed(portal: Portal, learners: int) -> None:
    with portal.engine.begin() as conn:
        for n in range(learners):
            user = accounts.create_user(portal, conn, f"learner{n:02d}")
            accounts.store_password(
                portal, conn, user.id, accounts.seal_password(portal, user.id, "x" * 12)
            )
            for k in range(4):
                learning.add_note(
                    portal, conn, user.id, "/phases/07", f"intro-p{k}", f"{NOTE} {n} {k}"
                )


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(snapshot, database URL): a signed SQLite snapshot of 40 learners with notes."""
    root = tmp_path_factory.mktemp("tamper")
    url = f"sqlite:///{root / 'portal.db'}"
    settings = PortalSettings(
        session_secret="s" * 40,
        pepper="p" * 40,
        master_key=MASTER_KEY,
        database_url=url,
        argon2=Argon2Params(memory_kib=64, time_cost=1, parallelism=1),
    )
    portal = Portal.build(settings, engine=make_engine(url))
    migrate(portal.engine)
    _seed(portal, 40)
    portal.engine.dispose()
    made = _cli("portal", "backup", "--dest", str(root / "snaps"), url=url)
    assert made.exit_code == 0, made.output
    yield Path(made.stdout.strip().splitlines()[-1]), url


def _copy(snapshot: Path, folder: Path) -> Path:
    """The snapshot and its sidecar, copied into `folder` (made if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / snapshot.name
    shutil.copyfile(snapshot, copy)
    shutil.copyfile(sidecar_path(snapshot), sidecar_path(copy))
    return copy


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _assert_refused(copy: Path, url: str, why: str) -> None:
    checked = _cli("portal", "verify", str(copy), url=url)
    assert checked.exit_code == 1, checked.output
    lines = checked.stderr.strip().splitlines()
    assert len(lines) == 1 and str(copy) in lines[0] and why in lines[0], lines
    assert checked.stdout == ""  # no row counts from a file that cannot be trusted
    before = Path(url.removeprefix("sqlite:///")).read_bytes()
    restored = _cli("portal", "restore", "--force", str(copy), url=url)
    assert restored.exit_code == 2 and str(copy) in restored.stderr
    assert "refusing to restore" in restored.stderr
    assert Path(url.removeprefix("sqlite:///")).read_bytes() == before  # nothing was touched


def test_the_untouched_snapshot_verifies(signed: tuple[Path, str]) -> None:
    snapshot, url = signed
    checked = _cli("portal", "verify", str(snapshot), url=url)
    assert checked.exit_code == 0, checked.output
    assert "signature ok; integrity ok" in checked.stdout and "users: 40 rows" in checked.stdout
    assert snapshot.stat().st_size >= 20 * 4096  # the fractions below land on many different pages


@pytest.mark.parametrize("fraction", FRACTIONS, ids=lambda f: f"at-{f:.3f}")
def test_a_one_byte_edit_anywhere_is_caught(
    signed: tuple[Path, str], tmp_path: Path, fraction: float
) -> None:
    snapshot, url = signed
    copy = _copy(snapshot, tmp_path)
    _flip(copy, int(fraction * copy.stat().st_size))
    _assert_refused(copy, url, "do not match the signature")


def test_the_last_byte_and_an_edit_sqlite_cannot_see_are_caught(
    signed: tuple[Path, str], tmp_path: Path
) -> None:
    snapshot, url = signed
    last = _copy(snapshot, tmp_path / "last")
    _flip(last, last.stat().st_size - 1)
    _assert_refused(last, url, "do not match the signature")
    inside = _copy(snapshot, tmp_path)
    data = inside.read_bytes()
    offset = data.index(NOTE.encode()) + 2  # a letter inside a note: valid page, different value
    _flip(inside, offset)
    unsigned = tmp_path / "unsigned"
    unsigned.mkdir()
    bare = unsigned / inside.name
    shutil.copyfile(inside, bare)
    structure_only = backup.verify(bare, SnapshotKey(MASTER_KEY), allow_unsigned=True)
    assert structure_only.ok  # this is why the signature exists: SQLite alone sees nothing wrong
    _assert_refused(inside, url, "do not match the signature")


def test_the_sidecar_itself_cannot_be_edited_removed_or_swapped(
    signed: tuple[Path, str], tmp_path: Path
) -> None:
    snapshot, url = signed
    copy = _copy(snapshot, tmp_path)
    card = json.loads(sidecar_path(copy).read_text(encoding="utf-8"))
    card["counts"]["users"] += 1  # claim one more learner than there is
    sidecar_path(copy).write_text(json.dumps(card), encoding="utf-8")
    _assert_refused(copy, url, "do not match the signature")
    sidecar_path(copy).unlink()
    _assert_refused(copy, url, "no signature sidecar")
    shutil.copyfile(sidecar_path(snapshot), sidecar_path(copy))
    with copy.open("ab") as handle:  # a page appended: the size gives it away before any hashing
        handle.write(b"\0" * 4096)
    _assert_refused(copy, url, "the sidecar says")
    intact = _copy(snapshot, tmp_path / "intact")
    wrong_key = _cli("portal", "verify", str(intact), url=url, master_key="w" * 44)
    assert wrong_key.exit_code == 1 and "another master key" in wrong_key.stderr
    sidecar_path(intact).write_text("{not json", encoding="utf-8")
    _assert_refused(intact, url, "unreadable")


def test_an_unsigned_snapshot_is_refused_unless_explicitly_allowed(
    signed: tuple[Path, str], tmp_path: Path
) -> None:
    snapshot, url = signed
    bare = tmp_path / snapshot.name
    shutil.copyfile(snapshot, bare)
    refused = _cli("portal", "verify", str(bare), url=url)
    assert refused.exit_code == 1 and "--allow-unsigned" in refused.stderr
    allowed = _cli("portal", "verify", "--allow-unsigned", str(bare), url=url)
    assert allowed.exit_code == 0 and "UNSIGNED" in allowed.stdout
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = _cli("portal", "restore", "--allow-unsigned", str(bare), url=target)
    assert restored.exit_code == 0, restored.output


def test_verify_help_and_exit_codes_agree(signed: tuple[Path, str], tmp_path: Path) -> None:
    """DECISIONS: 1 = a check that ran and failed (a damaged snapshot), 2 = bad input (no such file)."""
    _, url = signed
    help_text = " ".join(_cli("portal", "verify", "--help", url=url).stdout.split())
    assert "1 the check ran and failed" in help_text and "2 it could not be checked" in help_text
    missing = _cli("portal", "verify", str(tmp_path / "nope-portal.db"), url=url)
    assert missing.exit_code == 2 and "no snapshot" in missing.stderr
    no_key = CliRunner().invoke(
        cli,
        ["portal", "verify", str(tmp_path / "x.db")],
        env={
            "LYNX_PORTAL_DATABASE_URL": url,
            "LYNX_PORTAL_MASTER_KEY": "",
            "LYNX_ROOT": str(tmp_path),
        },
    )
    assert no_key.exit_code == 2 and "LYNX_PORTAL_MASTER_KEY" in no_key.stderr


def test_row_counts_are_printed_in_good_english(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.db'}"
    settings = PortalSettings(
        session_secret="s" * 40, pepper="p" * 40, master_key=MASTER_KEY, database_url=url
    )
    portal = Portal.build(settings, engine=make_engine(url))
    migrate(portal.engine)
    with portal.engine.begin() as conn:
        accounts.create_user(portal, conn, "solo")  # no password: no Argon2 needed
    portal.engine.dispose()
    made = _cli("portal", "backup", "--dest", str(tmp_path / "s"), url=url)
    snapshot = made.stdout.strip().splitlines()[-1]
    out = _cli("portal", "verify", snapshot, url=url).stdout
    assert "  users: 1 row\n" in out and "  notes: 0 rows\n" in out and "1 rows" not in out


def _pg_admin_url() -> str | None:
    raw = os.environ.get("LYNX_TEST_POSTGRES_URL")
    return normalize_database_url(raw) if raw else None


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_a_tampered_postgresql_dump_is_caught(
    engine: Any, settings: PortalSettings, tmp_path: Path
) -> None:
    """`engine` only gates on PostgreSQL being there; the dump needs a database of its own."""
    admin_url = _pg_admin_url()
    assert admin_url is not None
    name = f"lynx_tamper_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    own = create_engine(url)
    try:
        portal = Portal.build(settings.with_(database_url=url, master_key=MASTER_KEY), engine=own)
        migrate(own)
        _seed(portal, 3)
        made = _cli("portal", "backup", "--dest", str(tmp_path / "pg"), url=url)
        assert made.exit_code == 0, made.output
        dump = Path(made.stdout.strip().splitlines()[-1])
        good = _cli("portal", "verify", str(dump), url=url)
        assert (
            good.exit_code == 0
            and "users: 3 rows" in good.stdout
            and "notes: 12 rows" in good.stdout
        )
        size = dump.stat().st_size
        for k, offset in enumerate((0, size // 3, size // 2, 2 * size // 3, size - 1)):
            copy = _copy(dump, tmp_path / f"t{k}")
            _flip(copy, offset)
            checked = _cli("portal", "verify", str(copy), url=url)
            assert checked.exit_code == 1 and str(copy) in checked.stderr, (offset, checked.output)
            restored = _cli("portal", "restore", "--force", str(copy), url=url)
            assert restored.exit_code == 2 and "refusing to restore" in restored.stderr
    finally:
        own.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
