"""What a quantised tutor is judged on: correction accuracy (with its interval), perplexity, decode speed.

- correction accuracy: the share of sentences whose correction field comes back exactly right — an
  erroneous sentence corrected, a correct one returned unchanged — greedy-decoded through phase 20's
  evaluation (`minieval.correction`), with a Wilson 95 % interval;
- perplexity: exp(mean NLL) of the answer tokens (correction, error code, Spanish, end marker) given the
  prompt, teacher-forced — the loss the tutor was trained on (`loss_on: target`);
- decode tokens/s: one sequence, prefill a prompt, then greedy decode steps, timed per step.

Rows come from the frames split's test part. `subset(rows, n)` takes n evenly spaced rows (every slice of
the split stays represented, and the same rows are used by every scheme).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from minicorpus.framing import split_row
from minieval.correction import evaluate_correction
from minieval.metrics import wilson_interval
from miniinfer.prompting import prompt_ids
from minitoken.bpe import BPETokenizer

Row = Mapping[str, Any]


def subset(rows: Sequence[Row], n: int | None) -> list[Row]:
    """`n` evenly spaced rows (all of them when n is None or not smaller)."""
    if n is None or n >= len(rows):
        return list(rows)
    index = np.linspace(0, len(rows) - 1, n).round().astype(int)
    return [rows[i] for i in index]


def correction_accuracy(model: Any, tokenizer: BPETokenizer, rows: Sequence[Row]) -> dict[str, Any]:
    """Exactly-right corrections over all rows, with the Wilson interval and the phase-20 headline."""
    results = evaluate_correction(model, tokenizer, rows)
    parts = [results["intervals"][m] for m in ("exact_correction", "unchanged_correct")]
    correct, n = sum(p["correct"] for p in parts), sum(p["n"] for p in parts)
    lo, hi = wilson_interval(correct, n)
    return {
        "accuracy": correct / n,
        "correct": correct,
        "n": n,
        "wilson_lo": lo,
        "wilson_hi": hi,
        "error_code_accuracy": results["error_code_accuracy"],
        "spanish_exact": results["spanish_exact"],
    }


def answer_ids(tokenizer: BPETokenizer, row: Row) -> tuple[list[int], int]:
    """(prompt + answer ids, prompt length) of one row, framed as in training."""
    _, target = split_row(row)
    text = str(row["text"])
    ids = prompt_ids(tokenizer, text)
    return ids + tokenizer.encode(target, allowed_special="all"), len(ids)


def answer_perplexity(model: Any, tokenizer: BPETokenizer, rows: Sequence[Row]) -> dict[str, float]:
    """exp(mean NLL) of the answer tokens, batching rows of equal length through `model(ids)`."""
    context = int(model.config.context_len)
    groups: dict[int, list[tuple[list[int], int]]] = {}
    for row in rows:
        ids, start = answer_ids(tokenizer, row)
        ids = ids[: context + 1]
        groups.setdefault(len(ids), []).append((ids, start))
    total, count = 0.0, 0
    for length, members in groups.items():
        batch = np.array([ids for ids, _ in members])  # (B, T+1)
        logits = np.asarray(model(batch[:, :-1]), dtype=np.float64)  # (B, T, V)
        logits -= logits.max(axis=-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))  # (B, T, V)
        picked = np.take_along_axis(logp, batch[:, 1:, None], axis=-1)[..., 0]  # (B, T)
        for r, (_, start) in enumerate(members):
            total -= float(picked[r, start - 1 : length - 1].sum())
            count += length - start
    return {"perplexity": math.exp(total / count), "tokens": float(count)}


def decode_seconds(runner: Any, prompt: Sequence[int], steps: int) -> float:
    """Seconds per greedy decode step after prefilling `prompt` (batch 1, KV cache)."""
    logits = runner.prefill(np.array([list(prompt)]), last_only=True)
    token = int(np.argmax(logits[0, -1]))
    start = time.perf_counter()
    for _ in range(steps):
        logits = runner.decode(np.array([[token]]))
        token = int(np.argmax(logits[0, -1]))
    return (time.perf_counter() - start) / steps


__all__ = [
    "answer_ids",
    "answer_perplexity",
    "correction_accuracy",
    "decode_seconds",
    "subset",
]
