"""Greedy decoding of many prompts at once: what evaluation, the tutor and the service run.

`generate` decodes one sequence and takes any strategy; correcting a test split means thousands of greedy
decodes, where one forward pass per token *per row* is all Python overhead. Here prompts of equal token length
share one prefill and one decode call per step — no padding, so no attention mask and no position shift:
each row computes exactly what `generate` with `Greedy` computes for it alone (a test checks the ids).
A row that emits a stop id is finished; the batch keeps stepping it (its cache must stay aligned with the
others) until every row has stopped or the budget or the context window runs out, and discards what the
finished rows produce after their stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from minigrad.tensor import no_grad
from miniinfer.generate import CachedLanguageModel

DEFAULT_BATCH = 128


def _last_logits(output: Any, rows: int) -> np.ndarray:
    data = np.asarray(getattr(output, "data", output))
    if data.ndim != 3 or data.shape[0] != rows:
        raise ValueError(f"model returned logits of shape {data.shape}, expected ({rows}, T, V)")
    last: np.ndarray = data[:, -1]  # (B, V)
    return last


def _decode_group(
    model: CachedLanguageModel, prompts: np.ndarray, max_new: int, stops: frozenset[int]
) -> list[list[int]]:
    """Greedy continuations of `prompts` (B, T), all of one length; each ends with its first stop id."""
    rows = prompts.shape[0]
    out: list[list[int]] = [[] for _ in range(rows)]
    done = np.zeros(rows, dtype=bool)  # (B,)
    if max_new == 0:
        return out
    logits = _last_logits(model.prefill(prompts), rows)  # (B, V)
    for step in range(max_new):
        nxt = logits.argmax(axis=-1)  # (B,)
        for row in np.flatnonzero(~done):
            token = int(nxt[row])
            out[row].append(token)
            if token in stops:
                done[row] = True
        if done.all() or step == max_new - 1:
            break
        logits = _last_logits(model.decode(nxt[:, None].astype(np.int64)), rows)  # (B, V)
    return out


def greedy_batch(
    model: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    stop_ids: Iterable[int] = (),
    batch_size: int = DEFAULT_BATCH,
) -> list[list[int]]:
    """The greedy continuation of every prompt (prompt excluded, stop id included), in input order.

    `model` needs `prefill(ids (B, T))` and `decode(ids (B, 1))` returning logits `(B, ·, V)` and a
    `config.context_len`; the budget is cut so no row outgrows the window (no cropping, no re-prefill).
    """
    if not isinstance(model, CachedLanguageModel):
        raise TypeError(
            f"greedy_batch needs a model with prefill/decode, got {type(model).__name__}"
        )
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or max_new_tokens < 0
    ):
        raise ValueError(f"max_new_tokens must be an integer >= 0, got {max_new_tokens!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    context_len = int(getattr(model, "config").context_len)  # noqa: B009 - narrowed type lacks it
    stops = frozenset(int(s) for s in stop_ids)
    groups: dict[int, list[int]] = {}
    for index, prompt in enumerate(prompts):
        if not 1 <= len(prompt) <= context_len:
            raise ValueError(
                f"prompt {index} has {len(prompt)} tokens; it must have 1..{context_len} (the context window)"
            )
        groups.setdefault(len(prompt), []).append(index)
    results: list[list[int]] = [[] for _ in prompts]
    with no_grad():
        for length in sorted(groups):
            budget = min(max_new_tokens, context_len - length)
            members = groups[length]
            for start in range(0, len(members), batch_size):
                chunk = members[start : start + batch_size]
                ids = np.array([list(prompts[i]) for i in chunk], dtype=np.int64)  # (B, T)
                for i, continuation in zip(
                    chunk, _decode_group(model, ids, budget, stops), strict=True
                ):
                    results[i] = continuation
    return results


__all__ = ["DEFAULT_BATCH", "greedy_batch"]
