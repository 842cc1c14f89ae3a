"""What the phase 18-19 labs share: the encoded corpus and a MiniGPT trainer over it in one call."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from minimodel.baseline import corpus_baseline
from minimodel.data import encode_split, load_tokenizer
from minimodel.mini_gpt import MiniGPT, named_config
from minitrain.config import TrainConfig
from minitrain.inspect import Inspector, instrument_minigpt
from minitrain.metrics import MetricsLog
from minitrain.run import val_classes
from minitrain.trainer import Trainer


@dataclass(frozen=True)
class Corpus:
    train: list[list[int]]
    val: list[list[int]]
    classes: list[str]
    vocab_size: int


@lru_cache(maxsize=1)
def corpus() -> Corpus:
    tokenizer = load_tokenizer()
    return Corpus(
        encode_split(tokenizer, "train"),
        encode_split(tokenizer, "val"),
        val_classes(),
        tokenizer.vocab_size,
    )


@lru_cache(maxsize=1)
def baseline_ppl() -> float:
    return corpus_baseline().val_perplexity


def tiny_trainer(
    config: TrainConfig,
    *,
    model_seed: int = 42,
    log: MetricsLog | None = None,
    inspect: bool = False,
    **config_overrides: Any,
) -> Trainer:
    """A fresh `tiny` MiniGPT and its trainer on the corpus (optionally instrumented for the dashboard)."""
    data = corpus()
    if config_overrides:
        config = TrainConfig.from_dict({**config.to_dict(), **config_overrides})
    model = MiniGPT(named_config("tiny", data.vocab_size), rng=np.random.default_rng(model_seed))
    inspector: Inspector | None = None
    if inspect:
        inspector = Inspector()
        instrument_minigpt(inspector, model)
    return Trainer(
        model,
        data.train,
        data.val,
        config,
        context_len=model.cfg.context_len,
        val_classes=data.classes,
        log=log,
        observer=inspector,
    )


def matrix_norm(trainer: Trainer) -> float:
    """Frobenius norm of all 2-D weights together (what weight decay pulls toward zero)."""
    return float(
        np.sqrt(
            sum(
                float(np.sum(np.square(p.data, dtype=np.float64)))
                for p in trainer.optimizer.params
                if p.ndim == 2
            )
        )
    )


__all__ = ["Corpus", "baseline_ppl", "corpus", "matrix_norm", "tiny_trainer"]
