"""Phase 18: shipping a trained checkpoint in `artifacts/checkpoints/<name>/` and loading it back safely.

A shipped checkpoint is the *weights only* copy of a run's `best/` folder: the model's safetensors file
byte for byte, a `state.json` with just what loading needs (format, model config, tied aliases), and a
`summary.json` with the run's numbers, its seeds, its training config and the command that reproduces it.
AdamW's two moment arrays per parameter are left out: they triple the size and only matter for resuming.
Every file's sha256 goes into `artifacts/MANIFEST.json`, and `load_shipped_checkpoint` checks all of them
before reading a byte of the weights, so a corrupted or swapped file is refused instead of silently
producing a different model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from lynx_cortex.artifacts import MANIFEST, artifacts_dir, register, verify
from lynx_cortex.atomic import write_json_atomic
from lynx_cortex.errors import LynxError
from minimodel.mini_gpt import MiniGPT
from minitrain.checkpoint import (
    FORMAT,
    MODEL_FILE,
    STATE_FILE,
    Checkpoint,
    load_model_state,
    read_checkpoint,
    replace_directory,
    write_state_json,
)
from minitrain.run import BEST, build_model

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


def ship_run(run_dir: Path, name: str, *, command: str, root: Path | None = None) -> dict[str, Any]:
    """Copy `run_dir/best/`'s weights and the run's summary into the shipped folder and register their hashes.

    Returns the shipped summary (the run's summary plus seeds, training config and `command`).
    """
    root = root or artifacts_dir()
    run_dir = Path(run_dir)
    best = run_dir / BEST
    ckpt = read_checkpoint(best, weights_only=True)
    summary_path = run_dir / SUMMARY_FILE
    if not summary_path.is_file():
        raise FileNotFoundError(f"run {run_dir} has no {SUMMARY_FILE}; ship a finished run")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    train_config = dict(ckpt.state["trainer"]["config"])
    shipped_summary = {
        **summary,
        "seed": train_config["seed"],
        "data_seed": train_config["data_seed"],
        "train_config": train_config,
        "command": command,
        "weights_only": True,
    }
    state = {"format": FORMAT, "model": ckpt.state["model"], "weights_only": True}

    def fill(tmp: Path) -> None:
        shutil.copyfile(best / MODEL_FILE, tmp / MODEL_FILE)
        write_state_json(tmp / STATE_FILE, state)
        write_json_atomic(tmp / SUMMARY_FILE, shipped_summary)

    target = replace_directory(shipped_dir(name, root), fill)
    register([target / f for f in SHIPPED_FILES], root=root)
    return shipped_summary


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


def load_shipped_checkpoint(name: str, *, root: Path | None = None) -> tuple[MiniGPT, Checkpoint]:
    """The shipped model `name`, after its files have matched their sha256 (`LynxError` if any does not)."""
    directory = verify_shipped(name, root)
    ckpt = read_checkpoint(directory, weights_only=True)
    model = build_model(ckpt.model_config, seed=0)
    load_model_state(model, ckpt)
    return model, ckpt


def shipped_summary(name: str, root: Path | None = None) -> dict[str, Any]:
    """The shipped checkpoint's `summary.json` (verified first)."""
    directory = verify_shipped(name, root)
    data: dict[str, Any] = json.loads((directory / SUMMARY_FILE).read_text(encoding="utf-8"))
    return data


__all__ = [
    "CHECKPOINTS",
    "SHIPPED_FILES",
    "load_shipped_checkpoint",
    "reproduce_command",
    "ship_run",
    "shipped_dir",
    "shipped_summary",
    "verify_shipped",
]
