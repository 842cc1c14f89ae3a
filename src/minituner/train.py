"""Phase 28: fine-tuning with the base frozen — only the LoRA factors reach the optimiser.

A separate loop from `minitrain.Trainer` on purpose: the trainer's checkpoints, early stopping and weight
decay groups are about training a model; here the model is fixed and the thing trained is a few thousand
numbers. The loss is the tutor's (target side only, `prompt_lens`), the optimiser AdamW without weight
decay (decaying B A towards 0 would pull the adapter back to the base, a regulariser we do not want by
default), warmup then cosine. The base's sha256 is taken before and after: a run that changed one base
weight is an error, not a result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from minigrad.gcpause import gc_paused
from minigrad.optim import AdamW, ScheduledLR, clip_grad_norm_
from minimodel.mini_gpt import MiniGPT
from minitrain.batcher import Batcher
from minituner.lora import base_sha256, lora_parameters


@dataclass(frozen=True)
class FineTuneConfig:
    steps: int = 150
    batch_size: int = 16
    lr: float = 3e-3
    warmup_steps: int = 10
    grad_clip: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"FineTuneConfig.{name} must be ≥ 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"FineTuneConfig.lr must be > 0, got {self.lr}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class BaseChangedError(RuntimeError):
    """The frozen base moved during fine-tuning: a bug in the freezing, never an acceptable outcome."""


def fine_tune(
    model: MiniGPT,
    ids: list[list[int]],
    prompt_lens: list[int],
    config: FineTuneConfig,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train the adapters of `model` on the encoded rows; returns the loss of every step."""
    params = lora_parameters(model)
    if not params:
        raise ValueError("fine_tune needs a model with LoRA adapters (minituner.lora.apply_lora)")
    before = base_sha256(model)
    batcher = Batcher(
        ids,
        batch_size=config.batch_size,
        context_len=model.cfg.context_len,
        rng=np.random.default_rng(config.seed),
        prompt_lens=prompt_lens,
    )
    optimizer = AdamW(params, lr=config.lr, betas=(0.9, 0.95), weight_decay=0.0)
    warmup = max(1, min(config.warmup_steps, config.steps - 1))
    schedule = ScheduledLR(
        optimizer,
        "warmup_cosine",
        warmup_steps=warmup,
        total_steps=max(config.steps, warmup + 1),
        eta_min=0.1,
    )
    model.train()
    losses: list[float] = []
    for step in range(config.steps):
        batch = batcher.next_batch()
        optimizer.zero_grad()
        with gc_paused():
            # right padding under a causal mask never reaches a real token, as in minitrain's loop
            loss = model.loss(batch.inputs, batch.targets, batch.loss_mask)
            loss.backward()
        value = float(loss.item())
        if not math.isfinite(value):
            raise FloatingPointError(f"fine-tuning loss became {value} at step {step + 1}")
        clip_grad_norm_(params, config.grad_clip)
        optimizer.step()
        schedule.step()
        losses.append(value)
        if on_step is not None:
            on_step(step + 1, value)
    model.eval()
    if base_sha256(model) != before:
        raise BaseChangedError("the base weights changed during LoRA fine-tuning")
    return losses


__all__ = ["BaseChangedError", "FineTuneConfig", "fine_tune"]
