"""The shipped checkpoints in `artifacts/checkpoints/<name>/`, checked against their sha256 before loading.

A shipped checkpoint is the weights-only copy of a training run's `best/` folder (`minitrain.shipped` writes
it): the safetensors file byte for byte, a `state.json` with just what loading needs, and a `summary.json`
with the run's numbers, seeds, training config and the command that reproduces it. `load_shipped_model`
checks every file against `artifacts/MANIFEST.json` before reading a byte of the weights, so a corrupted or
swapped file is refused instead of silently producing a different model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lynx_cortex.artifacts import MANIFEST, artifacts_dir, verify
from lynx_cortex.errors import LynxError
from minimodel.weights import MODEL_FILE, STATE_FILE, TrainedModel, load_model

CHECKPOINTS = "checkpoints"
SUMMARY_FILE = "summary.json"
SHIPPED_FILES = (MODEL_FILE, STATE_FILE, SUMMARY_FILE)


def shipped_dir(name: str, root: Path | None = None) -> Path:
    """Where the shipped checkpoint `name` lives (under `root`, default the project's `artifacts/`)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"shipped checkpoint name must be a plain folder name, got {name!r}")
    return (root or artifacts_dir()) / CHECKPOINTS / name


def reproduce_command(config_name: str, steps: int | None = None) -> str:
    """The `lynx` command line that retrains and reships this checkpoint (the run folder does not matter)."""
    extra = f" --steps {steps}" if steps is not None else ""
    return f"lynx train --config {config_name}{extra} --ship"


def verify_shipped(name: str, root: Path | None = None) -> Path:
    """Check every file of the shipped checkpoint against the manifest; return its folder.

    Besides the manifest's own check (each listed file present and unaltered), each file the loader reads
    must be listed: an unregistered `state.json` dropped next to registered weights is refused too.
    """
    root = root or artifacts_dir()
    directory = shipped_dir(name, root)
    if not directory.is_dir():
        raise LynxError(
            f"no shipped checkpoint {name!r} at {directory}; create it with "
            f"`{reproduce_command(name)}`"
        )
    verify(directory, root=root)
    listed = json.loads((root / MANIFEST).read_text(encoding="utf-8"))["files"]
    for file in SHIPPED_FILES:
        key = (directory / file).relative_to(root).as_posix()
        if key not in listed:
            raise LynxError(f"shipped file {directory / file} is not listed in {root / MANIFEST}")
    return directory


def load_shipped_model(name: str, *, root: Path | None = None) -> TrainedModel:
    """The shipped model `name`, after its files have matched their sha256 (`LynxError` if any does not)."""
    return load_model(verify_shipped(name, root))


def shipped_summary(name: str, root: Path | None = None) -> dict[str, Any]:
    """The shipped checkpoint's `summary.json` (verified first)."""
    directory = verify_shipped(name, root)
    data: dict[str, Any] = json.loads((directory / SUMMARY_FILE).read_text(encoding="utf-8"))
    return data


__all__ = [
    "CHECKPOINTS",
    "SHIPPED_FILES",
    "SUMMARY_FILE",
    "load_shipped_model",
    "reproduce_command",
    "shipped_dir",
    "shipped_summary",
    "verify_shipped",
]
