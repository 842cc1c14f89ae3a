"""The deploy/ files agree with each other and with the code: ports, paths, hardening, and scripts that parse."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def test_the_service_is_hardened_and_writes_only_its_data_folder() -> None:
    service = _unit("lynx-portal.service")["Service"]
    assert service["User"] == "portal"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    assert service["ReadWritePaths"] == "/var/lib/lynx-portal"
    env = (DEPLOY / "portal.env.example").read_text(encoding="utf-8")
    database = re.search(r"^LYNX_PORTAL_DATABASE_URL=sqlite:///(.+)$", env, re.M)
    assert database is not None and database.group(1).startswith("/var/lib/lynx-portal/")
    assert re.search(
        r"^LYNX_PORTAL_(SESSION_SECRET|PEPPER|MASTER_KEY)=$", env, re.M
    )  # no secret shipped


def test_caddy_proxies_to_the_port_the_service_listens_on_with_security_headers() -> None:
    start = _unit("lynx-portal.service")["Service"]["ExecStart"]
    port = re.search(r"--port (\d+)", start)
    assert port is not None and "--host 127.0.0.1" in start
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert f"reverse_proxy 127.0.0.1:{port.group(1)}" in caddy
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy"):
        assert header in caddy
    env = (DEPLOY / "portal.env.example").read_text(encoding="utf-8")
    proxies = re.search(r"^LYNX_PORTAL_TRUSTED_PROXIES=(.+)$", env, re.M)
    assert proxies is not None and proxies.group(1) == "127.0.0.1"  # Caddy, on this host
    static = re.search(r"root \* (\S+)", caddy)
    assert static is not None and static.group(1).endswith("src/miniportal/static")
    assert (Path(__file__).resolve().parents[2] / "src" / "miniportal" / "static").is_dir()


def test_the_backup_timer_runs_the_backup_command_daily_into_the_data_folder() -> None:
    assert _unit("lynx-portal-backup.timer")["Timer"]["OnCalendar"].endswith("02:30:00 UTC")
    text = (DEPLOY / "systemd" / "lynx-portal-backup.service").read_text(encoding="utf-8")
    assert "lynx portal backup --dest /var/lib/lynx-portal/snapshots --keep 14" in text


@pytest.mark.parametrize("script", ["install.sh", "backup/offsite.sh"])
def test_shell_scripts_parse_and_stop_on_errors(script: str) -> None:
    path = DEPLOY / script
    assert path.stat().st_mode & 0o111, f"{script} must be executable"
    assert "set -euo pipefail" in path.read_text(encoding="utf-8")
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    subprocess.run([bash, "-n", str(path)], check=True)  # noqa: S603  # our own script


def test_install_never_overwrites_settings() -> None:
    text = (DEPLOY / "install.sh").read_text(encoding="utf-8")
    assert 'if [[ ! -e "$etc/$name.env" ]]' in text
    assert "useradd" in text and "if ! id portal" in text
