"""A trained MiniGPT on disk: the weights-and-config half of a checkpoint folder, and loading it back.

    <dir>/model.safetensors   every distinct parameter once, plus buffers (tied parameters are listed as aliases)
    <dir>/state.json          {"format", "model": {"config", "aliases"}, ...}: a training checkpoint adds the
                              optimizer, schedule and trainer state (`minitrain.checkpoint`), a shipped copy not

Reading a model for inference or evaluation is a model concern, so it lives here: `minieval`, `miniinfer` and
the CLI load weights without importing the training package, and `minitrain.checkpoint` builds its full
checkpoint (optimizer state included) on top of `read_weights`. No pickle: safetensors for arrays, JSON for
everything else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file

from minigrad.nn.module import Module
from minimodel.mini_gpt import MiniGPT, MiniGPTConfig

FORMAT = "lynx-checkpoint/1"
MODEL_FILE = "model.safetensors"
STATE_FILE = "state.json"
#: The folders of a training run (`minitrain.run`): the latest state, and the state at the best val loss.
CHECKPOINT = "checkpoint"
BEST = "best"

Arrays = dict[str, npt.NDArray[Any]]


def model_tensors(model: Module) -> tuple[Arrays, dict[str, str]]:
    """Each distinct parameter under its first name, buffers by name, and {alias: first name} for ties."""
    first: dict[int, str] = {}
    tensors: Arrays = {}
    aliases: dict[str, str] = {}
    for mod_name, module in model.named_modules():
        for name, param in module._parameters.items():
            key = f"{mod_name}.{name}" if mod_name else name
            if id(param) in first:
                aliases[key] = first[id(param)]
            else:
                first[id(param)] = key
                tensors[key] = np.ascontiguousarray(param.data)
    for key, buf in model.named_buffers():
        tensors[key] = np.ascontiguousarray(buf)
    return tensors, aliases


def read_weights(
    directory: Path, *, also_required: Sequence[str] = ()
) -> tuple[Arrays, dict[str, Any]]:
    """The full model state (aliases expanded) and the state.json of one checkpoint folder.

    `also_required` names further files the caller needs (a training checkpoint's optimizer file), so one
    error lists everything that is missing.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"no checkpoint folder at {directory}")
    missing = [n for n in (MODEL_FILE, *also_required, STATE_FILE) if not (directory / n).is_file()]
    if missing:
        raise FileNotFoundError(f"checkpoint {directory} lacks {', '.join(missing)}")
    state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else None
        raise ValueError(
            f"{directory / STATE_FILE} is not a {FORMAT} checkpoint (format {found!r})"
        )
    tensors = load_file(str(directory / MODEL_FILE))
    for alias, target in dict(state["model"]["aliases"]).items():
        if target not in tensors:
            raise ValueError(f"checkpoint alias {alias!r} points at missing tensor {target!r}")
        tensors[alias] = tensors[target]
    return tensors, state


def build_model(model_config: dict[str, Any], seed: int) -> MiniGPT:
    """A fresh MiniGPT from a checkpoint's model config (`{"name", "minigpt": {...}}`)."""
    return MiniGPT(
        MiniGPTConfig.from_dict(dict(model_config["minigpt"])), rng=np.random.default_rng(seed)
    )


def weights_folder(path: Path) -> Path:
    """The folder holding the weights: a run folder's `best/` (else its `checkpoint/`), or `path` itself."""
    path = Path(path)
    if (path / CHECKPOINT).is_dir():
        return path / BEST if (path / BEST).is_dir() else path / CHECKPOINT
    return path


@dataclass(frozen=True)
class TrainedModel:
    """A model with a checkpoint's weights, where they came from, and the checkpoint's state.json."""

    model: MiniGPT
    folder: Path
    state: dict[str, Any]

    @property
    def model_config(self) -> dict[str, Any]:
        return dict(self.state["model"]["config"])


def load_model(path: Path) -> TrainedModel:
    """A run folder (its best/, else checkpoint/), one checkpoint folder or a shipped copy, as a ready model.

    Loading re-ties shared parameters: every alias gets the same values and stays one Parameter.
    """
    folder = weights_folder(path)
    tensors, state = read_weights(folder)
    model = build_model(dict(state["model"]["config"]), seed=0)
    model.load_state_dict(tensors, strict=True)
    return TrainedModel(model, folder, state)


__all__ = [
    "BEST",
    "CHECKPOINT",
    "FORMAT",
    "MODEL_FILE",
    "STATE_FILE",
    "Arrays",
    "TrainedModel",
    "build_model",
    "load_model",
    "model_tensors",
    "read_weights",
    "weights_folder",
]
