"""`lynx up` and `lynx portal ...` as an operator uses them, in a throwaway project root."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lynx_cortex.artifacts import artifacts_dir
from lynx_cortex.cli import cli
from miniportal import accounts
from miniportal.errors import GoneError
from miniportal.migrate import head_revision
from miniportal.service import Portal
from miniportal.settings import read_env_file, settings_from_env
from minivault import VaultError

SHIPPED = artifacts_dir()  # the checkout's, resolved before a test moves the project root


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "data" / "quizzes").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "artifacts").symlink_to(SHIPPED)  # `up` checks the tutor's shipped model
    monkeypatch.setenv("LYNX_ROOT", str(tmp_path))
    for name in ("SESSION_SECRET", "PEPPER", "MASTER_KEY", "DATABASE_URL", "BASE_URL"):
        monkeypatch.delenv(f"LYNX_PORTAL_{name}", raising=False)
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def _portal(root: Path) -> Portal:
    return Portal.build(settings_from_env({}, secrets_file=root / "var" / "secrets.env"))


def last_line(result: Result) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_up_prepares_secrets_database_and_a_one_time_admin_invite(root: Path) -> None:
    first = run("up", "--no-serve")
    assert first.exit_code == 0, first.output
    secrets_path = root / "var" / "secrets.env"
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    secrets = read_env_file(secrets_path)
    assert set(secrets) == {f"LYNX_PORTAL_{n}" for n in ("SESSION_SECRET", "PEPPER", "MASTER_KEY")}
    assert (root / "var" / "portal.db").is_file()
    url = last_line(first)
    assert url.startswith("http://127.0.0.1:8000/invite/")

    second = run("up", "--no-serve")  # admin has not set a password yet: a fresh link, same secrets
    assert second.exit_code == 0 and last_line(second) != url
    assert read_env_file(secrets_path) == secrets
    portal = _portal(root)
    with portal.engine.connect() as conn:
        with pytest.raises(GoneError):
            accounts.open_invite(portal, conn, url.rsplit("/", 1)[1])
        admin = accounts.find_user(conn, "admin")
    assert admin is not None and admin.role == "admin"
    with portal.engine.begin() as conn:
        accounts.store_password(portal, conn, admin.id, b"\x01placeholder-cell")
    third = run("up", "--no-serve")
    assert third.exit_code == 0 and "/invite/" not in third.stdout


def test_up_checks_the_tutors_model_and_names_a_damaged_file(root: Path) -> None:
    ok = run("up", "--no-serve")
    assert ok.exit_code == 0 and "tutor: model verified" in ok.stderr
    (root / "artifacts").unlink()
    shutil.copytree(SHIPPED, root / "artifacts")
    summary = root / "artifacts" / "checkpoints" / "grammar" / "summary.json"
    summary.write_text(summary.read_text().replace("1400", "1401", 1))
    damaged = run("up", "--no-serve")
    assert damaged.exit_code == 2 and "summary.json" in damaged.stderr
    assert run("up", "--no-serve", "--no-tutor").exit_code == 0  # the portal alone does not need it


def test_up_refuses_a_secrets_file_others_can_read(root: Path) -> None:
    assert run("up", "--no-serve").exit_code == 0
    (root / "var" / "secrets.env").chmod(0o644)
    result = run("up", "--no-serve")
    assert result.exit_code == 2 and "chmod 600" in result.stderr


def test_operator_commands_print_the_invite_last(root: Path) -> None:
    assert run("up", "--no-serve").exit_code == 0
    made = run("portal", "create-admin", "boss")
    assert made.exit_code == 0 and "/invite/" in last_line(made)
    teacher = run("portal", "invite", "tom", "--role", "teacher")
    assert teacher.exit_code == 0 and "/invite/" in last_line(teacher)
    again = run("portal", "invite", "tom", "--role", "teacher")
    assert again.exit_code == 0 and last_line(again) != last_line(teacher)
    clash = run("portal", "invite", "tom")
    assert clash.exit_code == 2 and "role 'teacher'" in clash.stderr
    bad = run("portal", "invite", "Not Valid")
    assert bad.exit_code == 2 and "username" in bad.stderr
    assert f"revision {head_revision()}" in run("portal", "migrate").stdout


def test_missing_secrets_and_bad_urls_are_one_line_errors(root: Path) -> None:
    missing = run("portal", "migrate")
    assert missing.exit_code == 2 and "LYNX_PORTAL_SESSION_SECRET" in missing.stderr
    assert "lynx up" in missing.stderr
    assert run("up", "--no-serve").exit_code == 0
    bad = run("portal", "migrate", env={"LYNX_PORTAL_DATABASE_URL": "mysql://x/y"})
    assert bad.exit_code == 2 and "DATABASE_URL" in bad.stderr
    weak = run("portal", "migrate", env={"LYNX_PORTAL_PEPPER": "short"})
    assert weak.exit_code == 2 and "LYNX_PORTAL_PEPPER must be at least" in weak.stderr


def test_rotate_key_reseals_every_cell(root: Path) -> None:
    assert run("up", "--no-serve").exit_code == 0
    portal = _portal(root)
    with portal.engine.begin() as conn:
        user = accounts.create_user(portal, conn, "ana")
        accounts.store_password(
            portal, conn, user.id, accounts.seal_password(portal, user.id, "pw" * 8)
        )
    with portal.engine.connect() as conn:
        before = accounts.stored_hash(portal, conn, user.id)
    assert run("portal", "rotate-key").exit_code == 2  # no new key given
    new_key = "n" * 48
    rotated = run("portal", "rotate-key", env={"LYNX_PORTAL_NEW_MASTER_KEY": new_key})
    assert rotated.exit_code == 0, rotated.output
    assert "credentials.password_hash: 1 cells" in rotated.stdout
    assert "audit_log.details:" in rotated.stdout
    fresh = Portal.build(portal.settings.with_(master_key=new_key))
    with fresh.engine.connect() as conn:
        assert accounts.stored_hash(fresh, conn, user.id) == before
    with portal.engine.connect() as conn, pytest.raises(VaultError):
        accounts.stored_hash(portal, conn, user.id)  # the old key opens nothing now
    again = run(
        "portal",
        "rotate-key",
        env={"LYNX_PORTAL_NEW_MASTER_KEY": new_key, "LYNX_PORTAL_MASTER_KEY": new_key},
    )
    assert again.exit_code == 0 and "credentials.password_hash: 0 cells" in again.stdout


def test_invite_links_follow_the_serving_address(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert last_line(run("up", "--no-serve", "--port", "8123")).startswith(
        "http://127.0.0.1:8123/invite/"
    )
    monkeypatch.setenv("LYNX_PORTAL_BASE_URL", "https://portal.example.org")
    assert last_line(run("up", "--no-serve", "--port", "8123")).startswith(
        "https://portal.example.org/invite/"
    )
