"""Phase 28: one fine-tuning experiment end to end — score the base, train an adapter, score it again.

Scoring is `minieval`'s correction task (greedy decoding, exact match, Wilson intervals) on the merged
copy of the adapted model, so the numbers before and after come from the very same code path. The four row
sets are `minituner.data`'s: the learner's irregular-verb sentences (the target), his regular-verb ones
(transfer: nothing regular was trained), and other learners' sentences (control: forgetting shows there).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from minieval.correction import evaluate_correction
from minimodel.data import encode_rows
from minimodel.mini_gpt import MiniGPT
from minitoken.bpe import BPETokenizer
from minituner.data import Experiment
from minituner.lora import (
    LoRAConfig,
    adapted_modules,
    apply_lora,
    lora_parameters,
    merged_copy,
)
from minituner.train import FineTuneConfig, fine_tune

#: What the tables report, from `evaluate_correction`'s headline rates.
METRICS = ("exact_correction", "unchanged_correct", "spanish_exact")
SETS = ("target", "transfer", "control")


def score(
    model: MiniGPT, tokenizer: BPETokenizer, rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The headline rates with their Wilson intervals; an adapted model is scored as its merged copy."""
    plain = merged_copy(model) if any(True for _ in adapted_modules(model)) else model
    result = evaluate_correction(plain, tokenizer, rows)
    return {metric: result["intervals"][metric] for metric in METRICS}


def score_sets(model: MiniGPT, tokenizer: BPETokenizer, experiment: Experiment) -> dict[str, Any]:
    return {name: score(model, tokenizer, getattr(experiment, name)) for name in SETS}


@dataclass(frozen=True)
class Outcome:
    """What one adapter run produced."""

    after: dict[str, Any]
    losses: list[float]
    trainable: int
    train_rows: int
    seconds: float


def run_adapter(
    model: MiniGPT,
    tokenizer: BPETokenizer,
    experiment: Experiment,
    lora: LoRAConfig,
    train: FineTuneConfig,
    *,
    replay: Sequence[Mapping[str, Any]] = (),
) -> Outcome:
    """Adapt `model` in place (it must be bare), fine-tune on the learner's rows (+ `replay` rows), score."""
    apply_lora(model, lora, rng=np.random.default_rng(train.seed))
    encoded = encode_rows(tokenizer, [*experiment.train, *replay])
    start = time.perf_counter()
    losses = fine_tune(model, encoded.ids, encoded.prompt_lens, train)
    seconds = time.perf_counter() - start
    return Outcome(
        after=score_sets(model, tokenizer, experiment),
        losses=losses,
        trainable=sum(p.size for p in lora_parameters(model)),
        train_rows=len(encoded.ids),
        seconds=seconds,
    )


def _cell(rate: Mapping[str, Any]) -> str:
    if not rate["n"]:
        return "—"
    return f"{rate['value']:.3f} [{rate['wilson_lo']:.2f}, {rate['wilson_hi']:.2f}]"


def before_after_table(
    before: Mapping[str, Any], after: Mapping[str, Mapping[str, Any]], *, metric: str
) -> list[str]:
    """Markdown: one row per row set, the base's rate then each variant's, with Wilson 95 % intervals."""
    header = ["rows", "n", "base", *after]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in SETS:
        cells = [name, str(before[name][metric]["n"]), _cell(before[name][metric])]
        cells += [_cell(variant[name][metric]) for variant in after.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


__all__ = ["METRICS", "SETS", "Outcome", "before_after_table", "run_adapter", "score", "score_sets"]
