"""Phase 18: the training hyper-parameters, one frozen record saved with every checkpoint and manifest.

Defaults are the phase's: AdamW β=(0.9, 0.95), ε 1e-8, weight decay 0.1 on 2-D weights only, lr 3e-4 warmed
up linearly over 100 steps then cosine-decayed to 3e-5 at the last step, global-norm clip 1.0, batch 8,
validation every 50 steps, rng seed 42 for the model and 7 for the data order. `data` picks the rows:
`corpus` is the v1 form corpus (`data/processed/`, the curriculum's phases 13-19), `tutor` the v1.1 sentence
set's frame split (`data/tutor/`, the grammar model's); `target_only` puts the loss on the target side of
each framed row only (`minicorpus.framing`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

DATA_SOURCES = ("corpus", "tutor")
TUTOR_SPLITS = ("frames", "keys", "heldout-verbs")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    batch_size: int = 8
    lr_max: float = 3e-4
    lr_min: float = 3e-5
    warmup_steps: int = 100
    beta1: float = 0.9
    beta2: float = 0.95
    eps: float = 1e-8
    weight_decay: float = 0.1
    grad_clip: float | None = 1.0  # None: no clipping (phase 19's break)
    eval_every: int = 50
    log_every: int = 10
    patience: int | None = (
        None  # evaluations without a new best before stopping; None: never stop early
    )
    seed: int = 42
    data_seed: int = 7
    spike_step: int | None = (
        None  # phase 19: multiply this step's loss by spike_scale (an injected spike)
    )
    spike_scale: float = 1.0
    data: str = "corpus"
    target_only: bool = False
    tutor_split: str = (
        "frames"  # the tutor split to train on; "keys"/"heldout-verbs" are experiments
    )

    def __post_init__(self) -> None:
        if self.data not in DATA_SOURCES:
            raise ValueError(f"TrainConfig.data must be one of {DATA_SOURCES}, got {self.data!r}")
        if self.tutor_split not in TUTOR_SPLITS:
            raise ValueError(
                f"TrainConfig.tutor_split must be one of {TUTOR_SPLITS}, got {self.tutor_split!r}"
            )
        if not isinstance(self.target_only, bool):
            raise ValueError(f"TrainConfig.target_only must be a bool, got {self.target_only!r}")
        for name in ("steps", "batch_size", "eval_every", "log_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"TrainConfig.{name} must be a positive integer, got {value!r}")
        if not 0 <= self.warmup_steps < self.steps:
            raise ValueError(
                f"TrainConfig.warmup_steps must be in 0..steps-1 ({self.steps - 1}), got {self.warmup_steps}"
            )
        if not 0 < self.lr_min <= self.lr_max:
            raise ValueError(
                f"TrainConfig needs 0 < lr_min <= lr_max, got lr_min={self.lr_min}, lr_max={self.lr_max}"
            )
        if self.grad_clip is not None and not (
            self.grad_clip > 0 and math.isfinite(self.grad_clip)
        ):
            raise ValueError(f"TrainConfig.grad_clip must be > 0 or None, got {self.grad_clip}")
        if self.patience is not None and self.patience <= 0:
            raise ValueError(f"TrainConfig.patience must be positive or None, got {self.patience}")
        if self.weight_decay < 0:
            raise ValueError(f"TrainConfig.weight_decay must be >= 0, got {self.weight_decay}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training options {unknown}; known: {sorted(known)}")
        return cls(**data)


def named_train_config(name: str) -> TrainConfig:
    """`tiny`: the phase-18 defaults, stopping after 6 evaluations (300 steps) without a new best.

    `grammar`: the tutor's model on the v1.1 frame split (27k framed sentences), loss on the target side.
    Batches of 32 rows (~1,100 target tokens) at lr 1e-3 with a 100-step warm-up learn to copy-and-fix within a
    few hundred steps; the cosine tail to 1e-4 over 1,400 steps buys the rare error types and the Spanish.
    Validation (a forward pass over the 2,610 val rows, ~20 s) every 200 steps; 3 evaluations without a new
    best target-side loss stop the run
    (runs in docs/phase-18-training-loop/README.md).
    """
    if name == "tiny":
        return TrainConfig(patience=6)
    if name == "grammar":
        return TrainConfig(
            steps=1400,
            batch_size=32,
            lr_max=1e-3,
            lr_min=1e-4,
            warmup_steps=100,
            eval_every=200,
            log_every=20,
            patience=3,
            data="tutor",
            target_only=True,
        )
    raise ValueError(f"unknown training config {name!r}; choose 'tiny' or 'grammar'")


__all__ = ["DATA_SOURCES", "TUTOR_SPLITS", "TrainConfig", "named_train_config"]
