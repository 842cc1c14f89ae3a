"""Phase 20: the language model as a multiple-choice classifier.

The tutor model is trained on `<|endoftext|>{sentence}<|sep|>{corrected sentence}<|sep|>{spanish}...`
(`minicorpus.framing`). So a probe asks it the tutor's own question: read the shown sentence, then — at the
position where the corrected sentence reaches the blank — which candidate form would you write? The context is
`framing.prompt(shown) + text before the blank`, and each candidate is scored by the mean log-probability of its
own tokens (length-normalised, so "will go" is not punished for being two words against "went").

The seed's version took the prefix as the whole sentence with the blank deleted, which for a blank in the middle
of the sentence ("Every day she ___ at the office.") makes the "candidate tokens" the tail of the sentence rather
than the candidate. Here the prefix is the text *before* the blank. Its trailing space moves onto the candidate
(" works", as the byte-level BPE saw it in training) and context and candidate are encoded separately, so a BPE
merge across the boundary cannot shift the span. The text after the blank is not scored: it is the same for
every candidate. Confidence is the softmax of the candidates' scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from minicorpus import framing
from minieval.probes import Probe
from minigrad.numerics import log_softmax, softmax
from minigrad.tensor import no_grad
from miniinfer.generate import LanguageModel


class Encoder(Protocol):
    """A tokenizer; framed text opts in to its special tokens (`minitoken.BPETokenizer.encode`)."""

    def encode(
        self, text: str, *, allowed_special: AbstractSet[str] | Literal["all"] = ...
    ) -> list[int]: ...


def _log_probs(model: LanguageModel, ids: Sequence[int]) -> np.ndarray:
    """log p(next token) at every position of `ids`, shape (T, V)."""
    batch = np.array([list(ids)], dtype=np.int64)  # (1, T)
    with no_grad():
        out = model(batch)
    logits = np.asarray(getattr(out, "data", out), dtype=np.float64)  # (1, T, V)
    if logits.ndim != 3 or logits.shape[:2] != batch.shape:
        raise ValueError(
            f"model returned logits of shape {logits.shape}, expected (1, {batch.shape[1]}, V)"
        )
    lp: np.ndarray = log_softmax(logits[0], axis=-1)  # (T, V)
    return lp


def continuation_logprob(
    model: LanguageModel, context: Sequence[int], continuation: Sequence[int]
) -> float:
    """Summed log p(continuation | context); the context is cropped on the left to fit the window."""
    if not context or not continuation:
        raise ValueError("context and continuation must both hold at least one token")
    window = int(model.config.context_len)
    if len(continuation) >= window:
        raise ValueError(
            f"continuation of {len(continuation)} tokens does not fit context_len {window}"
        )
    full = [*context, *continuation][-window:]
    start = len(full) - len(continuation)  # index of the first continuation token in `full`
    lp = _log_probs(model, full)  # (T, V)
    # the logits at position t predict token t + 1
    return float(sum(lp[t - 1, full[t]] for t in range(start, len(full))))


@dataclass(frozen=True)
class CandidateScores:
    probe_id: str
    candidates: tuple[str, ...]
    scores: tuple[float, ...]  # mean log-probability per candidate token
    n_tokens: tuple[int, ...]
    probs: tuple[float, ...]  # softmax over the scores
    cropped: bool = (
        False  # context + candidate exceeded context_len: the left of the context was dropped
    )

    @property
    def pick_index(self) -> int:
        return int(np.argmax(self.scores))

    @property
    def pick(self) -> str:
        return self.candidates[self.pick_index]

    @property
    def confidence(self) -> float:
        return self.probs[self.pick_index]


def score_probe(
    model: LanguageModel,
    encoder: Encoder,
    probe: Probe,
    *,
    frame: Callable[[str], str] = framing.prompt,
) -> CandidateScores:
    """Length-normalised log-likelihood of every candidate at the blank of the corrected sentence."""
    before = probe.before_blank
    stem = before.rstrip()
    gap = before[len(stem) :]
    context = encoder.encode(frame(probe.shown) + stem, allowed_special="all")
    scores, lengths = [], []
    for cand in probe.candidates:
        ids = encoder.encode(gap + cand)
        if not ids:
            raise ValueError(f"{probe.id}: candidate {cand!r} encodes to no tokens")
        scores.append(continuation_logprob(model, context, ids) / len(ids))
        lengths.append(len(ids))
    probs = softmax(np.array(scores))
    cropped = len(context) + max(lengths) > int(model.config.context_len)
    return CandidateScores(
        probe.id,
        probe.candidates,
        tuple(scores),
        tuple(lengths),
        tuple(float(p) for p in probs),
        cropped,
    )


def sequence_nll(model: LanguageModel, ids: Sequence[int]) -> tuple[float, int]:
    """(summed NLL in nats, predicted tokens) of one sequence under teacher forcing.

    Sequences longer than the window are cut into windows of context_len + 1 tokens that share one token, so
    every token after the first is predicted exactly once.
    """
    if len(ids) < 2:
        raise ValueError("a sequence needs at least two tokens to predict one")
    window = int(model.config.context_len)
    total, count = 0.0, 0
    for start in range(0, len(ids) - 1, window):
        chunk = list(ids[start : start + window + 1])
        lp = _log_probs(model, chunk[:-1])  # (T, V)
        total -= float(sum(lp[t, chunk[t + 1]] for t in range(len(chunk) - 1)))
        count += len(chunk) - 1
    return total, count


__all__ = [
    "CandidateScores",
    "Encoder",
    "continuation_logprob",
    "score_probe",
    "sequence_nll",
]
