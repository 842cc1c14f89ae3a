"""The generation sub-eval of `lynx eval`: pass@k of exact corrections, one validation prompt per tense.

Scoring candidates (the rest of the harness) asks the model to *rank* given answers; this asks it to *write*
the answer. Each prompt is sampled `n` times with top-p 0.95 from fixed seeds (so results.json stays
byte-identical), and pass@k is the unbiased estimate that at least one of k samples is exactly right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lynx_cortex.progress import track
from minieval.metrics import pass_at_k_table
from miniinfer.generate import generate
from miniinfer.sampling import TopP
from minimodel.framing import BOS, SEP, correction_of, prompt
from minimodel.mini_gpt import MiniGPT
from minitoken.bpe import BPETokenizer


def tense_prompts(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(cell, sentence, target) for the first row of each tense, in tense order of appearance."""
    chosen: dict[str, tuple[str, str, str]] = {}
    for row in rows:
        tense = str(row["tense"])
        if tense not in chosen:
            target = row["text"] if row["label"] == "correct" else row["correct_form"]
            chosen[tense] = (f"{tense}: {row['text']}", str(row["text"]), str(target))
    return list(chosen.values())


def pass_at_k_sub_eval(
    model: MiniGPT,
    tokenizer: BPETokenizer,
    rows: Iterable[Mapping[str, Any]],
    *,
    samples: int = 10,
    ks: Sequence[int] = (1, 10),
    max_new_tokens: int = 16,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """pass@k per prompt cell (see the module docstring)."""
    stops = (
        *tokenizer.encode(SEP, allowed_special="all"),
        *tokenizer.encode(BOS, allowed_special="all"),
    )
    outcomes: dict[str, list[bool]] = {}
    for r, (cell, sentence, target) in enumerate(track(tense_prompts(rows), desc="pass@k")):
        ids = tokenizer.encode(prompt(sentence), allowed_special="all")
        graded = []
        for s in range(samples):
            new = generate(
                model,
                ids,
                max_new_tokens=max_new_tokens,
                strategy=TopP(0.95),
                seed=seed + 1000 * r + s,
                cache=True,
                stop_ids=stops,
            )
            graded.append(correction_of(tokenizer.decode(new)) == target)
        outcomes[cell] = graded
    return pass_at_k_table(outcomes, ks)
