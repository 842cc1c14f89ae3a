"""Greedy continuation of a prompt by a trained model (sampling strategies are phase 21's)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minigrad.tensor import no_grad
from minitrain.trainer import LanguageModel


def greedy_continue(
    model: LanguageModel,
    prompt_ids: Sequence[int],
    *,
    max_new_tokens: int,
    context_len: int,
    stop_id: int | None = None,
) -> list[int]:
    """Append the arg-max token until `stop_id` (included) or `max_new_tokens`; the window slides past context."""
    if not prompt_ids:
        raise ValueError("greedy_continue needs at least one prompt token")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    ids = list(prompt_ids)
    out: list[int] = []
    with no_grad():
        for _ in range(max_new_tokens):
            window = np.asarray([ids[-context_len:]], dtype=np.int64)  # (1, T)
            logits = model.forward(window).data  # (1, T, V)
            nxt = int(np.argmax(logits[0, -1]))
            ids.append(nxt)
            out.append(nxt)
            if stop_id is not None and nxt == stop_id:
                break
    return out


__all__ = ["greedy_continue"]
