"""Lab 00-env-check: is this machine ready for the course, and would a run here be reproducible?"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from lynx_cortex.paths import project_root
from lynx_cortex.registry import LabContext, lab
from lynx_cortex.runinfo import env_info, hardware_info
from lynx_cortex.seeding import log_versions, process_hash_seed_fixed


def lockfile_status() -> dict[str, Any]:
    """Whether `uv.lock` exists and still matches `pyproject.toml` (`uv lock --check`)."""
    lock = project_root() / "uv.lock"
    status: dict[str, Any] = {"present": lock.is_file()}
    if not lock.is_file():
        status["in_sync"] = False
        return status
    status["sha256"] = hashlib.sha256(lock.read_bytes()).hexdigest()
    uv = shutil.which("uv")
    if uv is None:
        status["in_sync"] = "unknown (uv not on PATH)"
        return status
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [uv, "lock", "--check", "--offline"],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    status["in_sync"] = proc.returncode == 0
    if proc.returncode != 0:
        status["detail"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [
            "uv lock --check failed"
        ]
    return status


@lab("00-env-check", title="Environment checklist: versions, hardware, lockfile, hash seed")
def env_check(ctx: LabContext) -> Mapping[str, Any]:
    versions = log_versions()
    lockfile = lockfile_status()
    checks = {
        "python >= 3.11": sys.version_info >= (3, 11),
        "numpy installed": versions["numpy"] != "not installed",
        "uv.lock present": bool(lockfile["present"]),
        "uv.lock in sync with pyproject.toml": lockfile.get("in_sync") is True,
        "PYTHONHASHSEED fixed at start": process_hash_seed_fixed(),
    }
    ctx.config["checks"] = sorted(checks)
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else '--'}] {name}")
    return {
        "versions": versions,
        "hardware": hardware_info(),
        "env": env_info(),
        "lockfile": lockfile,
        "torch_available": versions["torch"] != "not installed",
        "checks": checks,
        "all_ok": all(checks.values()),
    }
