"""Beam search that respects masks: keep the `width` most probable partial outputs, not just the best one.

Each step extends every live beam by its `width` best next tokens (log-probabilities of the masked logits, so a
forbidden token has -inf and is never a candidate), then keeps the `width` best candidates overall; a beam that
emits a stop id is finished and competes with the live ones on its score until the end. Scores are plain sums
of log-probabilities (no length normalisation: with a grammar mask the lengths are the grammar's business).
Ties go to the lexicographically smaller token sequence, so `width=1` is greedy decoding exactly.

The mask must be a pure function of `(step, generated)`, because beams fork: `ministruct.mask.TokenMask.mask_fn`
is one (a session that follows a single sequence is not). Every beam runs the uncached forward (the protocol
`generate` uses with `cache=False`), cropped to the last `context_len` tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from minigrad.tensor import no_grad
from miniinfer.generate import LanguageModel, MaskFn, apply_mask


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    finite = np.isfinite(logits)
    z = np.where(finite, logits - logits[finite].max(), -np.inf)  # (V,)
    with np.errstate(divide="ignore"):
        out: np.ndarray = z - np.log(np.exp(z).sum())
    return out


def beam_search(
    model: LanguageModel,
    prompt_ids: Sequence[int],
    *,
    width: int,
    max_new_tokens: int,
    stop_ids: Iterable[int] = (),
    mask: MaskFn | None = None,
) -> list[int]:
    """The best-scoring continuation found (its stop id included when it ended on one)."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    if not prompt_ids:
        raise ValueError("prompt_ids must hold at least one token")
    stops = frozenset(int(t) for t in stop_ids)
    context = int(model.config.context_len)
    live: list[tuple[float, list[int]]] = [(0.0, [])]
    done: list[tuple[float, list[int]]] = []
    with no_grad():
        for step in range(max_new_tokens):
            candidates: list[tuple[float, list[int]]] = []
            for score, beam in live:
                window = [*prompt_ids, *beam][-context:]
                out = model(np.array([window], dtype=np.int64))
                logits = np.asarray(getattr(out, "data", out))[0, -1]  # (V,)
                if mask is not None:
                    logits = apply_mask(mask, step, beam, logits)
                logp = _log_softmax(logits)  # (V,)
                best = np.argsort(-logp, kind="stable")[:width]  # ties: lower id first
                candidates += [
                    (score + float(logp[t]), [*beam, int(t)]) for t in best if np.isfinite(logp[t])
                ]
            pool = sorted(candidates + done, key=lambda c: (-c[0], c[1]))[:width]
            done = [c for c in pool if c[1] and c[1][-1] in stops]
            live = [c for c in pool if not (c[1] and c[1][-1] in stops)]
            if not live:
                break
    best_score, best_beam = min(live + done, key=lambda c: (-c[0], c[1]))
    return best_beam


__all__ = ["beam_search"]
