"""Greedy decoding of many prompts at once: bucket by length, prefill each bucket as one batch, decode together.

Evaluation decodes thousands of short prompts; one `generate` call per prompt pays one prefill and one
Python-level decode loop each. `greedy_batch` groups the prompts by length (every row of a batch must sit at
the same position: the KV cache has no padding), prefills each group in one call, then appends one token to
every row per decode call. A row that emits `stop_id` leaves the batch (its cache rows are dropped), so the
batch shrinks as sequences finish.

Each row gets the tokens `generate(model, prompt, strategy=Greedy(), stop_ids=[stop_id])` would give it: the
same cropping to the last `context_len` tokens, the same re-prefill of the cropped window once it is full
(or, with `window="slide"`, the sliding-window decode `generate` offers too), the same argmax (lowest id on
ties). With `masks` (one `MaskFn` per prompt, phase 30), each row's logits are masked before its argmax, as
`generate(..., mask=)` does. A `MiniGPT` runs on `minimodel.infer.FastMiniGPT`; any other model needs batched `prefill`/`decode`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from miniinfer.generate import WINDOWS, MaskFn, Window, apply_mask, check_window
from minimodel.infer import FastMiniGPT, as_fast


def _last_logits(output: Any, rows: int) -> np.ndarray:
    data = np.asarray(getattr(output, "data", output))
    if data.ndim != 3 or data.shape[0] != rows:
        raise ValueError(f"model returned logits of shape {data.shape}, expected ({rows}, T, V)")
    last: np.ndarray = data[:, -1]  # (B, V)
    return last


def _check_prompts(prompts: Sequence[Sequence[int]]) -> list[list[int]]:
    out = []
    for r, prompt in enumerate(prompts):
        ids = list(prompt)
        if not ids:
            raise ValueError(f"prompts[{r}] is empty: every prompt needs at least one token")
        for i, tok in enumerate(ids):
            if isinstance(tok, bool) or not isinstance(tok, int | np.integer) or tok < 0:
                raise ValueError(f"prompts[{r}][{i}] must be a non-negative token id, got {tok!r}")
        out.append([int(t) for t in ids])
    return out


def greedy_batch(
    model: Any,
    prompts: Sequence[Sequence[int]],
    max_new: int,
    stop_id: int | None,
    *,
    batch_size: int = 64,
    window: Window = "recompute",
    masks: Sequence[MaskFn] | None = None,
) -> list[list[int]]:
    """The greedy continuation of every prompt (stop id included when reached), in the prompts' order."""
    if isinstance(max_new, bool) or not isinstance(max_new, int) or max_new < 0:
        raise ValueError(f"max_new must be an integer >= 0, got {max_new!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, got {window!r}")
    rows = _check_prompts(prompts)
    if masks is not None and len(masks) != len(rows):
        raise ValueError(f"masks holds {len(masks)} masks for {len(rows)} prompts")
    results: list[list[int]] = [[] for _ in rows]
    if max_new == 0 or not rows:
        return results
    runner = as_fast(model)
    check_window(runner, window)
    context = int(runner.config.context_len)
    buckets: dict[int, list[int]] = {}
    for r, ids in enumerate(rows):
        buckets.setdefault(min(len(ids), context), []).append(r)
    for members in buckets.values():
        for first in range(0, len(members), batch_size):
            chunk = members[first : first + batch_size]
            _decode_chunk(
                runner,
                [rows[r] for r in chunk],
                [results[r] for r in chunk],
                context,
                max_new,
                stop_id,
                window == "slide",
                [masks[r] for r in chunk] if masks is not None else None,
            )
    return results


def _decode_chunk(
    runner: Any,
    seqs: list[list[int]],
    outs: list[list[int]],
    context: int,
    max_new: int,
    stop_id: int | None,
    slide: bool,
    masks: list[MaskFn] | None = None,
) -> None:
    """Decode one batch of equal-length prompts, appending each row's new ids to its list in `outs`."""
    seqs = [list(s) for s in seqs]
    fast = isinstance(runner, FastMiniGPT)

    def prefill(active: list[int]) -> np.ndarray:
        ids = np.array([seqs[i][-context:] for i in active], dtype=np.int64)  # (B, T)
        out = runner.prefill(ids, last_only=True) if fast else runner.prefill(ids)
        return _last_logits(out, len(active))

    active = list(range(len(seqs)))
    logits = prefill(active)  # (B, V)
    cached = min(len(seqs[0]), context)  # positions in the cache (every row has the same)
    for step in range(max_new):
        if masks is not None:
            logits = np.stack(
                [
                    apply_mask(masks[i], step, outs[i], row)
                    for i, row in zip(active, logits, strict=True)
                ]
            )  # (B, V)
        nxt = np.argmax(logits, axis=-1)  # (B,) the lowest id on ties, like Greedy
        for i, tok in zip(active, nxt.tolist(), strict=True):
            seqs[i].append(tok)
            outs[i].append(tok)
        going = nxt != stop_id if stop_id is not None else np.ones(len(active), dtype=bool)
        if step == max_new - 1 or not going.any():
            break
        shrunk = not going.all()
        if shrunk:
            keep = np.flatnonzero(going)
            active = [active[i] for i in keep]
            nxt = nxt[keep]
        can_decode = cached < context or slide
        if can_decode and shrunk and hasattr(runner, "keep_rows"):
            runner.keep_rows(keep)
        elif can_decode and shrunk:  # a cache that cannot drop rows: rebuild it for the rows left
            can_decode = False
        if can_decode:
            step_ids = nxt[:, None].astype(np.int64)  # (B, 1)
            out = runner.decode(step_ids, slide=True) if slide else runner.decode(step_ids)
            logits = _last_logits(out, len(active))
            cached = min(cached + 1, context)
        else:  # the window is full (or the cache cannot shrink): crop it and prefill again
            logits = prefill(active)
            cached = min(len(seqs[active[0]]), context)


__all__ = ["greedy_batch"]
