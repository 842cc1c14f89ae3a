"""What a manifest records about the machine, the environment and the code a run used.

Only a whitelist of environment variables is read: the ones that change numerics or ordering. Dumping the
whole environment would leak secrets into files that get shared.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

from lynx_cortex import seeding

#: Environment variables that change results or their order; nothing else from `os.environ` is recorded.
RECORDED_ENV = (
    "PYTHONHASHSEED",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "NUMEXPR_NUM_THREADS",
    "CUBLAS_WORKSPACE_CONFIG",
    "CUDA_VISIBLE_DEVICES",
)


def env_info() -> dict[str, str]:
    """The recorded variables, `<unset>` for absent ones so a diff shows when one appears.

    PYTHONHASHSEED is the value this process *started* with (the one its string hashing uses), not the seed
    `seed_everything` exports for child processes; LYNX_HASHSEED_SET_BY says whether the `lynx` CLI set it.
    """
    recorded = {name: os.environ.get(name, "<unset>") for name in RECORDED_ENV}
    started = seeding.STARTUP_HASHSEED
    recorded["PYTHONHASHSEED"] = started if started is not None else "<unset>"
    recorded[seeding.HASHSEED_SET_BY] = os.environ.get(seeding.HASHSEED_SET_BY, "<unset>")
    return recorded


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _ram_gb() -> float | None:
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return round(pages * page_size / 2**30, 1)


def _os_name() -> str:
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    return f"{platform.system()} {platform.release()}"


def blas_info() -> list[dict[str, Any]]:
    """The BLAS/OpenMP libraries NumPy loaded, with kernel and thread count (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: lib[k] for k in keep if k in lib} for lib in threadpool_info()]


def _gpu() -> str:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return "none detected"
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [exe, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "none detected"
    return out.replace("\n", "; ") or "none detected"


def hardware_info() -> dict[str, Any]:
    blas = blas_info()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "ram_gb": _ram_gb(),
        "gpu": _gpu(),
        "os": _os_name(),
        "machine": platform.machine(),
        "blas": "; ".join(
            f"{lib.get('internal_api', '?')} {lib.get('version', '?')} "
            f"({lib.get('architecture', '?')}, {lib.get('num_threads', '?')} threads)"
            for lib in blas
        )
        or "none",
    }


def _git(root: Path, *args: str) -> str | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [exe, "-C", str(root), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_state(root: Path) -> tuple[str, bool]:
    """(sha, dirty). `unknown` and dirty when `root` is not a git checkout: such a run cannot be traced."""
    sha = _git(root, "rev-parse", "HEAD")
    if sha is None:
        return "unknown", True
    status = _git(root, "status", "--porcelain", "--untracked-files=normal")
    return sha.strip(), bool(status and status.strip())
