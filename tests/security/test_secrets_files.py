"""Holes: `lynx portal serve` and `migrate` accepted a `var/secrets.env` that other users could read (only
`lynx up` refused it), and `repr()` of the settings object printed the session secret, pepper and master key.

Now every command that reads the secrets file runs the same `check_private` as `lynx up`, and the three secrets
are left out of the settings' repr (so out of logs and tracebacks that print it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lynx_cortex.cli import cli
from miniportal.settings import PortalSettings, settings_from_env

SECRETS = {
    "LYNX_PORTAL_SESSION_SECRET": "session-" + "s" * 40,
    "LYNX_PORTAL_PEPPER": "pepper-" + "p" * 40,
    "LYNX_PORTAL_MASTER_KEY": "master-" + "m" * 40,
}


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secrets.env").write_text(
        "".join(f"{k}={v}\n" for k, v in SECRETS.items()), encoding="utf-8"
    )
    monkeypatch.setenv("LYNX_ROOT", str(tmp_path))
    for name in ("SESSION_SECRET", "PEPPER", "MASTER_KEY", "DATABASE_URL", "BASE_URL"):
        monkeypatch.delenv(f"LYNX_PORTAL_{name}", raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        ["portal", "serve", "--port", "1"],
        ["portal", "migrate"],
        ["portal", "invite", "ana"],
        ["portal", "backup"],
        ["up", "--no-serve"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_every_command_refuses_a_secrets_file_others_can_read(
    root: Path, command: list[str], mode: int
) -> None:
    path = root / "var" / "secrets.env"
    path.chmod(mode)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"lynx: error: {path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
    )
    assert not (root / "var" / "portal.db").exists()  # refused before touching anything


def test_a_private_secrets_file_is_accepted(root: Path) -> None:
    (root / "var" / "secrets.env").chmod(0o600)
    result = CliRunner().invoke(cli, ["portal", "migrate"])
    assert result.exit_code == 0, result.output


def test_settings_never_show_their_secrets(root: Path) -> None:
    path = root / "var" / "secrets.env"
    path.chmod(0o600)
    settings = settings_from_env({}, secrets_file=path)
    assert isinstance(settings, PortalSettings) and settings.pepper == SECRETS["LYNX_PORTAL_PEPPER"]
    for shown in (
        repr(settings),
        str(settings),
        f"{settings}",
        repr(settings.with_(base_url="https://x.example")),
    ):
        for secret in SECRETS.values():
            assert secret not in shown and secret[:12] not in shown
        assert "database_url=" in shown  # the rest is still there to debug with
