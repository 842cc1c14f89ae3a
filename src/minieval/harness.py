"""Phase 20: score the probe sets with a model and gather every number of the report into one dict.

The harness never trains and never samples: candidate scoring is deterministic, so the same model, probes and
data give the same results dict, and `minieval.report.results_json` turns it into byte-identical JSON (sorted
keys, floats rounded to 6 decimals, no timestamps — the date lives in REPORT.md's header only).

Core probes feed accuracy, slices, calibration and the confusion matrix; adversarial probes are reported on
their own (accuracy by category, cells under 3 probes flagged `low_sample`) and are kept out of core ECE/Brier,
as the seed prescribes.

Confusion matrix: the true label says whether the shown form is right (`correct`), wrong (`incorrect`) or one
of several acceptable forms (`ambiguous`); the model's implied label is `correct` when it writes the shown form
back and `incorrect` when it writes another one. A pure scorer never answers `ambiguous`, so that column is 0
by construction — a row of ambiguous probes split between the two columns is the expected picture.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter
from typing import Any

from lynx_cortex.progress import track
from minieval.metrics import (
    brier,
    brier_multiclass,
    confusion_matrix,
    ece,
    perplexity,
    reliability_bins,
    slice_accuracy,
    slices_table,
    wilson_interval,
)
from minieval.probes import ADVERSARIAL_CATEGORIES, LABELS, Probe
from minieval.scoring import CandidateScores, Encoder, score_probe, sequence_nll
from miniinfer.generate import LanguageModel

SLICES = ("language", "regularity", "tense", "person")
N_BINS = 10
LOW_SAMPLE = 3


def probe_set_hash(probes: Sequence[Probe]) -> str:
    """SHA-256 of the probes sorted by id: recorded in every report, so two reports say if they are comparable."""
    rows = sorted((vars(p) for p in probes), key=lambda r: str(r["id"]))
    blob = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _slice_key(name: str) -> Callable[[Probe], str]:
    """The probe's value on a slice axis; person-less probes (infinitive, participle) read as "none"."""
    get = attrgetter(name)

    def key(probe: Probe) -> str:
        value = get(probe)
        return "none" if value is None else str(value)

    return key


def _prediction(probe: Probe, scored: CandidateScores) -> dict[str, Any]:
    return {
        "id": probe.id,
        "pick": scored.pick,
        "confidence": scored.confidence,
        "correct": scored.pick in probe.acceptable,
        "implied_label": "correct" if scored.pick == probe.given else "incorrect",
        "probs": dict(zip(scored.candidates, scored.probs, strict=True)),
    }


def _accuracy(n: int, correct: int) -> dict[str, Any]:
    lo, hi = wilson_interval(correct, n)
    return {"n": n, "correct": correct, "accuracy": correct / n if n else None, "wilson": [lo, hi]}


def summarize(
    core: Sequence[Probe],
    adversarial: Sequence[Probe],
    scored: Mapping[str, CandidateScores],
) -> dict[str, Any]:
    """Every probe-derived number of the report, from already-computed candidate scores."""
    missing = [p.id for p in [*core, *adversarial] if p.id not in scored]
    if missing:
        raise ValueError(f"no scores for probes {missing[:5]}")
    if not core:
        raise ValueError("no core probes to evaluate")
    core_pred = [_prediction(p, scored[p.id]) for p in core]
    ok = [bool(r["correct"]) for r in core_pred]
    slices = {name: slice_accuracy(core, ok, _slice_key(name), name) for name in SLICES}
    by_verb = {
        s.value: {"n": s.n, "correct": s.correct}
        for s in sorted(
            slice_accuracy(core, ok, lambda p: f"{p.language}:{p.verb}", "verb"),
            key=lambda s: s.value,
        )
    }
    conf = [float(r["confidence"]) for r in core_pred]
    bins = reliability_bins(conf, ok, N_BINS)
    accept = [[i for i, c in enumerate(p.candidates) if c in p.acceptable] for p in core]
    adv_pred = [_prediction(p, scored[p.id]) for p in adversarial]
    by_cat: dict[str, Any] = {}
    for cat in ADVERSARIAL_CATEGORIES:
        rows = [r for p, r in zip(adversarial, adv_pred, strict=True) if p.reason_code == cat]
        cell = _accuracy(len(rows), sum(bool(r["correct"]) for r in rows))
        cell["low_sample"] = len(rows) < LOW_SAMPLE
        by_cat[cat] = cell
    return {
        "n_core": len(core),
        "n_adversarial": len(adversarial),
        "n_cropped": sum(scored[p.id].cropped for p in [*core, *adversarial]),
        "accuracy": _accuracy(len(ok), sum(ok)),
        "slices": slices_table(slices),
        "by_verb": by_verb,
        "calibration": {
            "ece": ece(conf, ok, N_BINS),
            "brier": brier(conf, ok),
            "brier_multiclass": brier_multiclass([scored[p.id].probs for p in core], accept),
            "n_bins": N_BINS,
            "min_bin_count": min(b.count for b in bins),
            "bins": [vars(b) for b in bins],
        },
        "confusion": {
            "labels": list(LABELS),
            "matrix": confusion_matrix(
                [p.label for p in core], [str(r["implied_label"]) for r in core_pred], LABELS
            ),
        },
        "adversarial": {
            "overall": _accuracy(len(adv_pred), sum(bool(r["correct"]) for r in adv_pred)),
            "by_category": by_cat,
        },
        "predictions": sorted([*core_pred, *adv_pred], key=lambda r: str(r["id"])),
    }


def evaluate(
    model: LanguageModel,
    encoder: Encoder,
    core: Sequence[Probe],
    adversarial: Sequence[Probe],
    *,
    perplexity_sets: Mapping[str, Sequence[Sequence[int]]] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Score every probe with `model`, add perplexity of each named token-id set, return the results dict.

    The caller is responsible for the leak check (`minieval.leak.assert_no_leak`) and for naming the sets
    (e.g. {"val": ..., "test": ..., "test_en": ...}).
    """
    probes = track([*core, *adversarial], desc="probes", unit="probe")
    scored = {p.id: score_probe(model, encoder, p) for p in probes}
    results = summarize(core, adversarial, scored)
    ppl: dict[str, Any] = {}
    for name, seqs in sorted((perplexity_sets or {}).items()):
        nll, tokens = 0.0, 0
        for ids in track(seqs, desc=f"perplexity {name}", unit="seq"):
            a, b = sequence_nll(model, ids)
            nll, tokens = nll + a, tokens + b
        ppl[name] = {"nll": nll, "tokens": tokens, "ppl": perplexity(nll, tokens)}
    results["perplexity"] = ppl
    results["meta"] = {
        **dict(meta or {}),
        "probe_set_sha256": probe_set_hash([*core, *adversarial]),
        "n_bins": N_BINS,
    }
    return results


__all__ = ["SLICES", "evaluate", "probe_set_hash", "summarize"]
