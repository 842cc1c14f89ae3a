"""Phase 18: the training loop as five state machines that move together and are saved together.

The model's weights, AdamW's moments and step count, the LR schedule's step, the batcher's epoch/position/
shuffle generator, and the training-control generator (`Trainer.rng`) are all that a step depends on; the
checkpoint module saves exactly these, which is why a resumed run repeats the uninterrupted run's losses bit
for bit. One step: batch → token-mean loss with the pad mask → backward → global-norm clip → AdamW → schedule.
Weight decay applies to 2-D weights (matrices and embeddings) only: decaying a LayerNorm gain or a bias toward
zero only fights the normalisation. Python's cyclic GC is paused during forward/backward
(`minigrad.gcpause`): the graph is large and freed by reference counting, and repeated generation-2 scans of
it cost time for nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from lynx_cortex import progress
from minigrad.gcpause import gc_paused
from minigrad.nn.module import Parameter
from minigrad.optim import AdamW, ScheduledLR, clip_grad_norm_
from minigrad.tensor import Tensor, no_grad
from minitrain.batcher import Batch, Batcher, fixed_batches
from minitrain.config import TrainConfig
from minitrain.metrics import MetricsLog, spectral_norm, token_nll


class LanguageModel(Protocol):
    """What the trainer needs from a model (`minimodel.mini_gpt.MiniGPT` is one)."""

    def forward(self, ids: npt.NDArray[np.int64], *, pad_mask: Any = None) -> Tensor: ...

    def loss(
        self,
        ids: npt.NDArray[np.int64],
        targets: npt.NDArray[np.int64],
        loss_mask: npt.NDArray[np.bool_],
    ) -> Tensor: ...

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]: ...

    def parameters(self) -> Iterator[Parameter]: ...

    def state_dict(self) -> dict[str, npt.NDArray[Any]]: ...

    def load_state_dict(self, state: Mapping[str, npt.ArrayLike], strict: bool = True) -> None: ...


class Observer(Protocol):
    """Optional instrumentation (`minitrain.inspect.Inspector`): told after each backward, read at evals."""

    def after_backward(self) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...


@dataclass
class EvalResult:
    loss: float  # token-mean NLL over the whole split (nats)
    by_class: dict[str, float] = field(default_factory=dict)  # class → token-mean NLL

    @property
    def perplexity(self) -> float:
        return math.exp(self.loss) if self.loss < 700 else math.inf


def evaluate(
    model: LanguageModel,
    sequences: Sequence[Sequence[int]],
    *,
    batch_size: int,
    context_len: int,
    classes: Sequence[str] | None = None,
    prompt_lens: Sequence[int] | None = None,
) -> EvalResult:
    """Token-mean NLL over every sequence (weighted by tokens, not by batch), optionally per row class;
    with `prompt_lens`, over the target side only (see `minitrain.batcher`)."""
    if classes is not None and len(classes) != len(sequences):
        raise ValueError(f"got {len(classes)} row classes for {len(sequences)} sequences")
    total, count = 0.0, 0
    class_sum: dict[str, float] = {}
    class_count: dict[str, int] = {}
    with no_grad():
        for batch in fixed_batches(
            sequences, batch_size=batch_size, context_len=context_len, prompt_lens=prompt_lens
        ):
            logits = model.forward(batch.inputs, pad_mask=batch.pad_mask)  # (B, T, V)
            nll = token_nll(logits.data, batch.targets, batch.loss_mask)  # (B, T)
            per_row = nll.sum(axis=1)  # (B,)
            n_row = batch.loss_mask.sum(axis=1)  # (B,)
            total += float(per_row.sum())
            count += int(n_row.sum())
            if classes is not None:
                for row, s, n in zip(batch.rows, per_row, n_row, strict=True):
                    key = classes[int(row)]
                    class_sum[key] = class_sum.get(key, 0.0) + float(s)
                    class_count[key] = class_count.get(key, 0) + int(n)
    if count == 0:
        raise ValueError("evaluate got no target tokens")
    return EvalResult(total / count, {k: class_sum[k] / class_count[k] for k in sorted(class_sum)})


def param_groups(model: LanguageModel, weight_decay: float) -> list[dict[str, Any]]:
    """Two AdamW groups: 2-D weights (matrices, embeddings) decay, everything else (biases, norms) does not."""
    decay = [p for _, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for _, p in model.named_parameters() if p.ndim < 2]
    groups: list[dict[str, Any]] = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


class Trainer:
    """Owns the optimiser, schedule, batcher and generators of one run over a model it is given.

    `fit()` trains to `config.steps` (or an earlier `until`), evaluating at step 0, every `eval_every` steps
    and at the end, and stops early after `patience` evaluations without a new best validation loss.
    """

    def __init__(
        self,
        model: LanguageModel,
        train: Sequence[Sequence[int]],
        val: Sequence[Sequence[int]],
        config: TrainConfig,
        *,
        context_len: int,
        val_classes: Sequence[str] | None = None,
        train_prompt_lens: Sequence[int] | None = None,
        val_prompt_lens: Sequence[int] | None = None,
        log: MetricsLog | None = None,
        observer: Observer | None = None,
        progress: bool = True,  # drawn only when stderr is a terminal (lynx_cortex.progress)
    ) -> None:
        if not val:
            raise ValueError("Trainer needs a non-empty validation split")
        self.model = model
        self.val = val
        self.config = config
        self.context_len = context_len
        self.val_classes = val_classes
        self.val_prompt_lens = val_prompt_lens
        self.log = log
        self.observer = observer
        self.progress = progress
        self.rng = np.random.default_rng(config.seed)
        self.batcher = Batcher(
            train,
            batch_size=config.batch_size,
            context_len=context_len,
            rng=np.random.default_rng(config.data_seed),
            prompt_lens=train_prompt_lens,
        )
        self.optimizer = AdamW(
            param_groups(model, config.weight_decay),
            lr=config.lr_max,
            betas=(config.beta1, config.beta2),
            eps=config.eps,
            weight_decay=config.weight_decay,
        )
        ratio = config.lr_min / config.lr_max
        if config.warmup_steps > 0:
            self.scheduler = ScheduledLR(
                self.optimizer,
                "warmup_cosine",
                warmup_steps=config.warmup_steps,
                total_steps=config.steps,
                eta_min=ratio,
            )
        else:
            self.scheduler = ScheduledLR(
                self.optimizer, "cosine", total_steps=config.steps, eta_min=ratio
            )
        self.step = 0  # completed optimiser steps
        self.best_val = math.inf
        self.best_step = -1
        self.evals_since_best = 0
        self.stopped_early = False
        self.last_eval: EvalResult | None = None

    # ------------------------------------------------------------------ one step

    def train_step(self) -> dict[str, Any]:
        """One optimiser step; returns the record that goes to the metrics log."""
        batch: Batch = self.batcher.next_batch()
        lr = self.scheduler.get_last_lr()[0]
        self.optimizer.zero_grad()
        with gc_paused():
            loss = self.model.loss(batch.inputs, batch.targets, batch.loss_mask)
            injected = self.config.spike_step == self.step + 1
            objective = loss * self.config.spike_scale if injected else loss
            objective.backward()
        if self.observer is not None:
            self.observer.after_backward()
        params = self.optimizer.params
        if self.config.grad_clip is not None:
            pre = clip_grad_norm_(params, self.config.grad_clip)
            post = min(pre, self.config.grad_clip) if math.isfinite(pre) else pre
        else:
            pre = post = _global_norm(params)
        self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        return {
            "kind": "train",
            "step": self.step,
            "loss": float(loss.item()),
            "lr": float(lr),
            "grad_norm_pre": pre,
            "grad_norm_post": post,
            "tokens": batch.n_tokens,
            "injected": injected,
        }

    # ------------------------------------------------------------------ evaluation

    def evaluate(self) -> EvalResult:
        return evaluate(
            self.model,
            self.val,
            batch_size=max(self.config.batch_size, 32),
            context_len=self.context_len,
            classes=self.val_classes,
            prompt_lens=self.val_prompt_lens,
        )

    def eval_record(self, result: EvalResult) -> dict[str, Any]:
        """The evaluation's log record: losses, spectral norms of every matrix, and the observer's snapshot."""
        record: dict[str, Any] = {
            "kind": "eval",
            "step": self.step,
            "val_loss": result.loss,
            "val_by_class": result.by_class,
            "spectral": {
                name: spectral_norm(p.data)
                for name, p in self.model.named_parameters()
                if p.ndim == 2
            },
        }
        if self.observer is not None:
            record["inspect"] = self.observer.snapshot()
            self.observer.reset()
        return record

    # ------------------------------------------------------------------ the loop

    def fit(
        self,
        until: int | None = None,
        *,
        on_best: Callable[[Trainer], None] | None = None,
        on_eval: Callable[[Trainer], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Train from the current step to `until` (default `config.steps`); return the step records."""
        target = self.config.steps if until is None else min(until, self.config.steps)
        records: list[dict[str, Any]] = []
        if self.step == 0:
            self._evaluate_and_track(on_best, on_eval)
        bar = progress.bar(
            total=target, initial=self.step, desc="train", unit="step", show=self.progress
        )
        try:
            while self.step < target and not self.stopped_early:
                record = self.train_step()
                records.append(record)
                if self.log is not None:
                    self.log.write(record)
                bar.update(1)
                if self.step % self.config.log_every == 0:
                    bar.set_postfix(loss=f"{record['loss']:.3f}", best_val=f"{self.best_val:.3f}")
                if not math.isfinite(record["loss"]):
                    self.stopped_early = True  # a diverged run has nothing left to learn
                if self.step % self.config.eval_every == 0 or self.step == self.config.steps:
                    self._evaluate_and_track(on_best, on_eval)
        finally:
            bar.close()
        return records

    def _evaluate_and_track(
        self,
        on_best: Callable[[Trainer], None] | None,
        on_eval: Callable[[Trainer], None] | None,
    ) -> None:
        result = self.evaluate()
        self.last_eval = result
        record = self.eval_record(result)
        improved = result.loss < self.best_val
        if improved:
            self.best_val, self.best_step, self.evals_since_best = result.loss, self.step, 0
        else:
            self.evals_since_best += 1
            patience = self.config.patience
            if patience is not None and self.evals_since_best >= patience:
                self.stopped_early = True
        record["best_val_loss"] = self.best_val
        record["best_step"] = self.best_step
        if self.log is not None:
            self.log.write(record)
        if improved and on_best is not None:
            on_best(self)
        if on_eval is not None:
            on_eval(self)

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        """Everything but the tensors: JSON-ready (the checkpoint stores arrays separately)."""
        return {
            "step": self.step,
            "best_val": self.best_val if math.isfinite(self.best_val) else None,
            "best_step": self.best_step,
            "evals_since_best": self.evals_since_best,
            "stopped_early": self.stopped_early,
            "rng": self.rng.bit_generator.state,
            "batcher": self.batcher.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "config": self.config.to_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        saved = TrainConfig.from_dict(dict(state["config"]))
        if saved != self.config:
            diff = {
                k: (v, getattr(self.config, k))
                for k, v in saved.to_dict().items()
                if getattr(self.config, k) != v
            }
            raise ValueError(
                f"checkpoint was trained with different settings (saved, here): {diff}"
            )
        self.step = int(state["step"])
        self.best_val = math.inf if state["best_val"] is None else float(state["best_val"])
        self.best_step = int(state["best_step"])
        self.evals_since_best = int(state["evals_since_best"])
        self.stopped_early = bool(state["stopped_early"])
        self.rng.bit_generator.state = dict(state["rng"])
        self.batcher.load_state_dict(state["batcher"])
        self.scheduler.load_state_dict(state["scheduler"])


def _global_norm(params: Sequence[Tensor]) -> float:
    squares = [
        float(np.sum(np.square(p.grad, dtype=np.float64))) for p in params if p.grad is not None
    ]
    return math.sqrt(math.fsum(squares))


__all__ = [
    "EvalResult",
    "LanguageModel",
    "Observer",
    "Trainer",
    "evaluate",
    "param_groups",
]
