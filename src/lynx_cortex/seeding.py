"""Seed every random-number source a run touches, and record which library versions it ran on.

Seeding covers Python's `random`, NumPy's legacy global state and PyTorch (CPU and every CUDA device) when it
is installed. It does *not* make string hashing deterministic in the current process: CPython draws its hash
secret before any Python code runs, so `PYTHONHASHSEED` only takes effect in processes started after it is set.
`seed_everything` therefore exports it for child processes and warns when this process was started without a
fixed value (phase 00's break shows what goes wrong). Launch runs with `PYTHONHASHSEED=<seed>` in the
environment, as `just` and `.ci/run` do.

Not covered either (handled where runs start, and recorded in the manifest's `env`): BLAS/OpenMP thread counts,
which change the order of floating-point reductions, and TF32 or other hardware-level non-determinism.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import random
import shutil
import subprocess
import sys
import warnings
from types import ModuleType

#: The value of PYTHONHASHSEED this process was started with, captured before anything can change it.
STARTUP_HASHSEED: str | None = os.environ.get("PYTHONHASHSEED")

MAX_SEED = 2**32 - 1

#: Set (to "lynx") by the `lynx` CLI when it re-executed itself to fix PYTHONHASHSEED; recorded in manifests.
HASHSEED_SET_BY = "LYNX_HASHSEED_SET_BY"

#: Libraries whose versions change numerics; reported by `log_versions` in this order.
TRACKED_LIBRARIES = ("numpy", "scipy", "torch")


class HashSeedWarning(RuntimeWarning):
    """This process hashes strings with a random secret, so `hash()`-ordered output will differ per run."""


def _loaded_torch() -> ModuleType | None:
    """PyTorch if this process has already imported it; importing it here would cost every run seconds."""
    module = sys.modules.get("torch")
    return module if isinstance(module, ModuleType) else None


def process_hash_seed_fixed() -> bool:
    """Whether this process was started with a fixed (non-random) PYTHONHASHSEED."""
    return STARTUP_HASHSEED is not None and STARTUP_HASHSEED != "random"


def seed_everything(seed: int) -> None:
    """Seed `random`, NumPy's global RNG and PyTorch (when this process has imported it) with `seed`.

    PyTorch is seeded only once imported: importing it just to seed it costs each `lynx lab run` 2-10 s, and no
    lab draws from torch's generator (the torch ports load NumPy weights). Code that imports torch later and
    draws from it calls `seed_everything` again after the import.

    Prefer passing an explicit `np.random.default_rng(seed)` through your own code; the legacy global state is
    seeded only for libraries that still read it. Warns with `HashSeedWarning` if this process was not started
    with a fixed PYTHONHASHSEED (see the module docstring for why setting it now cannot help this process).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**32 - 1], got {seed}")

    os.environ["PYTHONHASHSEED"] = str(seed)  # reaches child processes only
    if not process_hash_seed_fixed():
        warnings.warn(
            "this process was started without a fixed PYTHONHASHSEED, so hash()-dependent ordering "
            f"(set iteration, hash-keyed sorts) will differ between runs; start it with PYTHONHASHSEED={seed}",
            HashSeedWarning,
            stacklevel=2,
        )
    import numpy as np  # here, so that importing this module (the CLI does) stays cheap

    random.seed(seed)
    np.random.seed(seed)  # the legacy global state, for libraries that still read it

    torch = _loaded_torch()
    if torch is None:
        return
    torch.manual_seed(seed)
    try:
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
    except RuntimeError:
        # `is_available()` can say yes on a machine whose CUDA runtime is broken; CPU seeding already happened.
        pass


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _uv_version() -> str:
    exe = shutil.which("uv")
    if exe is None:
        return "not installed"
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [exe, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    parts = out.split()
    return parts[1] if len(parts) > 1 else out.strip() or "unknown"


def log_versions() -> dict[str, str]:
    """Versions of Python, the numeric libraries and uv; "not installed" for what is missing. Never raises."""
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        versions[name] = _package_version(name)
    versions["lynx-cortex"] = _package_version("lynx-cortex")
    versions["uv"] = _uv_version()
    return versions
