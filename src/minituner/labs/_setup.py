"""What every phase-28 lab starts from: the shipped tutor, its tokenizer, the experiment's rows, replay rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lynx_cortex.paths import data_dir
from minicorpus.tutor_build import load_tutor_split
from minimodel.data import load_tokenizer
from minimodel.mini_gpt import MiniGPT
from minimodel.shipped import load_shipped_model
from minitoken.bpe import BPETokenizer
from minituner.data import STAND_IN, Experiment, build_experiment

BASE = "grammar"


@dataclass(frozen=True)
class Setup:
    tokenizer: BPETokenizer
    experiment: Experiment
    replay: list[dict[str, Any]]


def load_setup(*, control: int, limit: int | None, replay_fraction: float, seed: int) -> Setup:
    """The rows; `replay` is a seeded sample of other learners' training sentences, `replay_fraction` times
    as many as the learner's own (the mitigation for forgetting the seed names, ~5 % there; more here)."""
    split = load_tutor_split(data_dir() / "tutor", "frames")
    experiment = build_experiment(split, control_size=control, limit=limit, seed=seed)
    others = [dict(r) for r in split["train"] if r.get("subject") != STAND_IN]
    count = int(round(replay_fraction * len(experiment.train)))
    order = np.random.default_rng(seed + 1).permutation(len(others))[:count]
    return Setup(load_tokenizer(), experiment, [others[int(i)] for i in order])


def fresh_base() -> MiniGPT:
    """A new copy of the shipped tutor (hash-checked): each adapter starts from the untouched base."""
    return load_shipped_model(BASE).model


def setup_for(cfg: Mapping[str, Any], seed: int) -> Setup:
    """`load_setup` with a lab's settings (`control`, `limit`, `replay`): the three phase-28 labs share them."""
    return load_setup(
        control=int(cfg["control"]),
        limit=cfg["limit"],
        replay_fraction=float(cfg["replay"]),
        seed=seed,
    )


__all__ = ["BASE", "Setup", "fresh_base", "load_setup", "setup_for"]
