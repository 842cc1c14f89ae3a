"""Phase 18: shipping a trained checkpoint in `artifacts/checkpoints/<name>/`.

A shipped checkpoint is the *weights only* copy of a run's `best/` folder: the model's safetensors file
byte for byte, a `state.json` with just what loading needs (format, model config, tied aliases), and a
`summary.json` with the run's numbers, its seeds, its training config and the command that reproduces it.
AdamW's two moment arrays per parameter are left out: they triple the size and only matter for resuming.
Every file's sha256 goes into `artifacts/MANIFEST.json`; loading it back, hash-checked, is a model concern
(`minimodel.shipped.load_shipped_model`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from lynx_cortex.artifacts import artifacts_dir, register
from lynx_cortex.atomic import write_json_atomic
from minimodel.shipped import SHIPPED_FILES, SUMMARY_FILE, shipped_dir
from minimodel.weights import BEST, FORMAT, MODEL_FILE, STATE_FILE
from minitrain.checkpoint import read_checkpoint, replace_directory, write_state_json


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


__all__ = ["ship_run"]
