"""Phase 20 break: evaluate on the training set instead of held-out data.

No trained transformer is needed to see this failure: the phase-14 n-gram model with a long context (n = 8),
fitted on the framed training split, is a pure memoriser of the training sentences. Probes are built the same way from two
sources — corpus rows of the *test* split (healthy) and rows of the *train* split (broken): "he ___" with the
row's form and the same verb's other tenses as candidates, shown with the right form. On training rows the
n-gram has seen the whole framed sequence and picks the right form far more often; on test rows (the split
holds out whole (verb, tense) cells) it has not. Same model, same scorer — only the data changed.

The detector is the leak check: it passes on the test-split probes and refuses the training-split ones,
naming the first leaked rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lynx_cortex.labkit import settings
from lynx_cortex.paths import data_dir
from lynx_cortex.registry import BreakOutcome, LabContext, breaks
from minicorpus.conjugate import english_verb_phrase
from minicorpus.rows import read_jsonl
from minieval.leak import LeakError, assert_no_leak
from minieval.probes import IRREGULAR_VERBS, Probe
from minieval.scoring import score_probe
from minimodel.data import encode_split, load_tokenizer
from minimodel.ngram import NGramLM

FINITE_TENSES = ("present_simple", "past_simple", "future_will", "future_going_to")


@dataclass(frozen=True)
class _Window:
    context_len: int


class NGramAsModel:
    """The n-gram LM behind the harness's model protocol: log P(next | previous n-1 tokens) as logits."""

    def __init__(self, lm: NGramLM, context_len: int = 4096) -> None:
        self.lm = lm
        self.config = _Window(context_len)

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        seq = ids[0].tolist()
        rows = [np.log(self.lm.distribution(seq[: t + 1])) for t in range(len(seq))]  # T x (V,)
        return np.stack(rows)[None]  # (1, T, V)


def corpus_probes(rows: Sequence[Mapping[str, Any]], split: str) -> list[Probe]:
    """One probe per correct, person-bearing corpus row: the verb group blanked, other tenses as distractors."""
    probes = []
    for row in rows:
        if row["label"] != "correct" or row["tense"] not in FINITE_TENSES:
            continue
        verb, person, tense = row["verb_lemma"], row["person"], row["tense"]
        subject, form = row["text"].split(" ", 1)
        others = [english_verb_phrase(verb, t, person) for t in FINITE_TENSES if t != tense]
        candidates = tuple(sorted({form, *others}))  # sorted: a tie must not favour the answer
        probes.append(
            Probe(
                id=f"{split}-{row['id']}",
                language="en",
                verb=verb,
                regularity="irregular" if verb in IRREGULAR_VERBS else "regular",
                tense=tense,
                person=person,
                prompt=f"{subject} ___",
                candidates=candidates,
                expected=form,
                acceptable=(form,),
                given=form,
                label="correct",
                category="core",
            )
        )
    return probes


def _accuracy(model: NGramAsModel, encoder: Any, probes: Sequence[Probe]) -> float:
    picks = [score_probe(model, encoder, p).pick for p in probes]
    return float(np.mean([pick == p.expected for pick, p in zip(picks, probes, strict=True)]))


def _leak_verdict(probes: Sequence[Probe]) -> tuple[bool, str]:
    try:
        assert_no_leak(probes, data_dir() / "processed")
    except LeakError as exc:
        lines = str(exc).splitlines()
        return True, " / ".join(lines[:3])
    return False, "no leak"


@breaks(
    20,
    title="Evaluate on the training set instead of held-out data",
    change="probes built from data/processed/train.jsonl rows instead of test.jsonl rows",
)
def eval_on_train(ctx: LabContext) -> BreakOutcome:
    cfg = settings(
        ctx,
        {
            "smoke": {"n": 8, "max_probes": 40},
            "default": {"n": 8, "max_probes": 120},
            "full": {"n": 8, "max_probes": 400},
        },
    )
    tokenizer = load_tokenizer()
    lm = NGramLM(int(cfg["n"]), tokenizer.vocab_size).fit(encode_split(tokenizer, "train"))
    model = NGramAsModel(lm)
    processed = data_dir() / "processed"
    sets = {}
    for split in ("test", "train"):
        probes = corpus_probes(list(read_jsonl(processed / f"{split}.jsonl")), split)
        order = ctx.rng.permutation(len(probes))[: int(cfg["max_probes"])]
        sets[split] = [probes[i] for i in sorted(order)]
    results: dict[str, dict[str, Any]] = {}
    for split, probes in sets.items():
        leaked, message = _leak_verdict(probes)
        results[split] = {
            "n_probes": len(probes),
            "accuracy": _accuracy(model, tokenizer, probes),
            "leak_detected": leaked,
            "leak_check": message,
        }
    healthy, broken = results["test"], results["train"]
    gap = float(broken["accuracy"]) - float(healthy["accuracy"])
    return BreakOutcome(
        healthy=healthy,
        broken=broken,
        symptom=(
            f"the same {cfg['n']}-gram scores {broken['accuracy']:.0%} on training-row probes against "
            f"{healthy['accuracy']:.0%} on held-out ones ({gap:+.0%}); the leak check refuses the training set"
        ),
        detected=bool(broken["leak_detected"] and not healthy["leak_detected"]),
    )
