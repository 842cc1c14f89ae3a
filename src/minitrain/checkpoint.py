"""Phase 18: checkpoints as a folder of safetensors (the arrays) and JSON (everything else). No pickle.

    <dir>/model.safetensors      every distinct parameter once, plus buffers; metadata lists tied aliases
    <dir>/optimizer.safetensors  AdamW's moment arrays, keyed "<param index>.<name>"
    <dir>/state.json             model config, optimizer groups and step counts, schedule, batcher, RNG, trainer

The folder is written as `.<name>.tmp` next to its destination and renamed into place only when complete, so a
crash leaves either the old checkpoint or the new one. Writing is deterministic (sorted JSON, safetensors'
own ordering), so loading a checkpoint and saving it again gives byte-identical files. The model half (the
weights file, the format, reading weights back) is `minimodel.weights`'s, so inference never imports training.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from minigrad.nn.module import Module
from minimodel.weights import FORMAT, MODEL_FILE, STATE_FILE, Arrays, model_tensors, read_weights
from minitrain.trainer import Trainer

OPTIM_FILE = "optimizer.safetensors"


def _meta(aliases: Mapping[str, str]) -> dict[str, str]:
    """One metadata key: safetensors keeps metadata in a hash map, so several keys come out in any order."""
    return {"lynx": json.dumps({"format": FORMAT, "aliases": dict(aliases)}, sort_keys=True)}


def write_state_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Sorted, indented, NaN-free JSON, fsynced: the same payload always gives the same bytes."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, indent=2, sort_keys=True, allow_nan=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_directory(directory: Path, fill: Callable[[Path], None]) -> Path:
    """Build a folder with `fill(tmp)` next to `directory`, then swap it in: readers see old or new, never half."""
    directory = Path(directory)
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{directory.name}.tmp"
    old = parent / f".{directory.name}.old"
    for stale in (tmp, old):
        if stale.exists():
            shutil.rmtree(stale)
    moved_old = False
    try:
        tmp.mkdir()
        fill(tmp)
        if directory.exists():
            os.rename(directory, old)
            moved_old = True
        os.rename(tmp, directory)
    except BaseException:
        if moved_old and not directory.exists():
            os.rename(old, directory)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if moved_old:
        shutil.rmtree(old, ignore_errors=True)
    return directory


def save_checkpoint(directory: Path, trainer: Trainer, *, model_config: Mapping[str, Any]) -> Path:
    """Write the trainer's whole state to `directory` atomically (replacing an older checkpoint there)."""
    if not isinstance(trainer.model, Module):
        raise TypeError(f"checkpoints need a minigrad Module, got {type(trainer.model).__name__}")
    directory = Path(directory)
    tensors, aliases = model_tensors(trainer.model)
    opt_state = trainer.optimizer.state_dict()
    opt_arrays: Arrays = {}
    opt_scalars: dict[str, dict[str, int]] = {}
    for index, entries in opt_state["state"].items():
        for name, value in entries.items():
            if isinstance(value, np.ndarray):
                opt_arrays[f"{index}.{name}"] = np.ascontiguousarray(value)
            else:
                opt_scalars.setdefault(str(index), {})[name] = int(value)
    names = {id(p): n for n, p in trainer.model.named_parameters()}
    payload = {
        "format": FORMAT,
        "model": {"config": dict(model_config), "aliases": aliases},
        "optimizer": {
            "param_groups": opt_state["param_groups"],
            "scalars": opt_scalars,
            "param_names": [names[id(p)] for p in trainer.optimizer.params],
        },
        "trainer": trainer.state_dict(),
    }

    def fill(tmp: Path) -> None:
        save_file(tensors, str(tmp / MODEL_FILE), metadata=_meta(aliases))
        save_file(opt_arrays, str(tmp / OPTIM_FILE), metadata=_meta({}))
        write_state_json(tmp / STATE_FILE, payload)
        for name in (MODEL_FILE, OPTIM_FILE):
            _fsync(tmp / name)

    replace_directory(directory, fill)
    return directory


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read back: the full model state (aliases expanded), optimizer arrays, and the JSON."""

    model_state: Arrays
    optimizer_arrays: Arrays
    state: dict[str, Any]

    @property
    def model_config(self) -> dict[str, Any]:
        return dict(self.state["model"]["config"])


def read_checkpoint(directory: Path, *, weights_only: bool = False) -> Checkpoint:
    """Read a checkpoint folder; `weights_only` accepts one without optimizer state (a shipped copy)."""
    directory = Path(directory)
    tensors, state = read_weights(directory, also_required=() if weights_only else (OPTIM_FILE,))
    if weights_only:
        return Checkpoint(tensors, {}, state)
    if "optimizer" not in state:
        raise ValueError(
            f"{directory} holds weights only (no optimizer state): it cannot resume training"
        )
    return Checkpoint(tensors, load_file(str(directory / OPTIM_FILE)), state)


def load_model_state(model: Module, checkpoint: Checkpoint) -> None:
    """Load weights and re-tie: every alias gets the same values, and the shared Parameter stays shared."""
    model.load_state_dict(checkpoint.model_state, strict=True)


def restore(trainer: Trainer, checkpoint: Checkpoint) -> None:
    """Put a trainer built from the same configs back in the saved state (weights, optimizer, schedule, data, RNG)."""
    if not isinstance(trainer.model, Module):
        raise TypeError(f"checkpoints need a minigrad Module, got {type(trainer.model).__name__}")
    load_model_state(trainer.model, checkpoint)
    opt = checkpoint.state["optimizer"]
    names = [n for n, _ in trainer.model.named_parameters()]
    by_id = {id(p): n for n, p in trainer.model.named_parameters()}
    mine = [by_id[id(p)] for p in trainer.optimizer.params]
    if list(opt["param_names"]) != mine:
        raise ValueError(
            f"checkpoint optimizer covers parameters {opt['param_names']}, this model has {names}"
        )
    per_index: dict[int, dict[str, Any]] = {}
    for key, array in checkpoint.optimizer_arrays.items():
        index, name = key.split(".", 1)
        per_index.setdefault(int(index), {})[name] = array
    for index, scalars in dict(opt["scalars"]).items():
        per_index.setdefault(int(index), {}).update(scalars)
    groups = [dict(g, betas=tuple(g["betas"])) for g in opt["param_groups"]]
    trainer.optimizer.load_state_dict({"state": per_index, "param_groups": groups})
    trainer.load_state_dict(checkpoint.state["trainer"])


def checkpoint_files(directory: Path) -> list[Path]:
    return [Path(directory) / n for n in (MODEL_FILE, OPTIM_FILE, STATE_FILE)]


__all__ = [
    "OPTIM_FILE",
    "Checkpoint",
    "checkpoint_files",
    "load_model_state",
    "read_checkpoint",
    "replace_directory",
    "restore",
    "save_checkpoint",
    "write_state_json",
]
