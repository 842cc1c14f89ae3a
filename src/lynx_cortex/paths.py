"""Where the project's data lives and where runs write.

Reading (`data/`, `docs/`) and writing (`experiments/`, `learners/`) are resolved separately so tests and
teachers can point the writable folders somewhere else with an environment variable while the course content
still comes from the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

_MARKERS = ("pyproject.toml", "data")


def _looks_like_root(path: Path) -> bool:
    return all((path / marker).exists() for marker in _MARKERS)


def project_root() -> Path:
    """The checkout holding `data/` and `docs/`.

    `LYNX_ROOT` wins; otherwise the nearest ancestor of the working directory that looks like the project,
    then the checkout this package was installed from (src layout: two levels above the package).
    """
    env = os.environ.get("LYNX_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if _looks_like_root(candidate):
            return candidate
    installed = Path(__file__).resolve().parents[2]
    if _looks_like_root(installed):
        return installed
    return cwd


def data_dir() -> Path:
    return project_root() / "data"


def docs_dir() -> Path:
    return project_root() / "docs"


def experiments_dir() -> Path:
    """Lab and break outputs (git-ignored). Overridable with `LYNX_EXPERIMENTS_DIR`."""
    env = os.environ.get("LYNX_EXPERIMENTS_DIR")
    return Path(env) if env else project_root() / "experiments"


def learners_dir() -> Path:
    """Learner workspaces (git-ignored except `_template/`). Overridable with `LYNX_LEARNERS_DIR`."""
    env = os.environ.get("LYNX_LEARNERS_DIR")
    return Path(env) if env else project_root() / "learners"
