"""Phase 20, the task itself: does the model correct, name and translate held-out sentences?

Perplexity says how surprised a model is; a tutor is judged by what it writes. `lynx eval --task correction`
prompts the model with every sentence of a split (`<|endoftext|>sentence<|sep|>`), decodes greedily, reads
the answer back into its three fields (`minicorpus.framing.parse_answer`) and compares each with the truth:

- `exact_correction`: erroneous sentences whose correction is exactly the right sentence;
- `unchanged_correct`: correct sentences returned unchanged (a tutor that "fixes" right answers is worse
  than none);
- `error_code_accuracy`: the named error (or `none`) is the right one, over all sentences;
- `spanish_exact`: the Spanish is exactly the reference translation, over all sentences.

Every figure carries its Wilson 95 % interval and is also broken down by error type, verb class and tense,
so a headline cannot hide a weak slice. An answer cut off before its closing marker counts as wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from minicorpus.framing import BOS, NO_ERROR, Answer, parse_answer, split_row
from minieval.metrics import wilson_interval
from miniinfer.batched import greedy_batch
from miniinfer.prompting import prompt_ids
from minitoken.bpe import BPETokenizer

METRICS = ("exact_correction", "unchanged_correct", "error_code_accuracy", "spanish_exact")
SLICE_KEYS = ("error_type", "regularity", "tense")
MAX_NEW_TOKENS = 48


@dataclass(frozen=True)
class Case:
    """One sentence to correct and its reference answer, with the labels the report slices by."""

    text: str
    correction: str
    error_code: str
    spanish: str
    labels: Mapping[str, str]

    @property
    def erroneous(self) -> bool:
        return self.error_code != NO_ERROR


def case_of(row: Mapping[str, Any]) -> Case:
    """The reference answer of a corpus row, read through the training framing itself (one source of truth)."""
    _, target = split_row(row)
    answer = parse_answer(target)
    if not answer.complete:
        raise ValueError(f"row {row.get('id', '?')} does not frame into a complete answer")
    code = str(answer.error_code)
    labels = {
        "error_type": code,
        "regularity": str(row.get("regularity") or row.get("english_regularity") or "unknown"),
        "tense": str(row.get("tense") or "unknown"),
    }
    return Case(str(row["text"]), str(answer.correction), code, str(answer.spanish), labels)


@dataclass(frozen=True)
class Outcome:
    """Which of the four checks one answer passes (None: the check does not apply to this case)."""

    exact_correction: bool | None
    unchanged_correct: bool | None
    error_code_accuracy: bool
    spanish_exact: bool


def judge(case: Case, answer: Answer) -> Outcome:
    right = answer.correction == case.correction
    return Outcome(
        exact_correction=right if case.erroneous else None,
        unchanged_correct=right if not case.erroneous else None,
        error_code_accuracy=answer.error_code == case.error_code,
        spanish_exact=answer.spanish == case.spanish,
    )


def _rate(values: Sequence[bool | None]) -> dict[str, Any]:
    hits = [v for v in values if v is not None]
    correct, n = sum(hits), len(hits)
    lo, hi = wilson_interval(correct, n)
    return {
        "n": n,
        "correct": correct,
        "value": correct / n if n else None,
        "wilson_lo": lo,
        "wilson_hi": hi,
    }


def summarise(cases: Sequence[Case], outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The headline rates, and the same four rates per slice value of every `SLICE_KEYS` label."""
    if len(cases) != len(outcomes):
        raise ValueError(f"{len(cases)} cases but {len(outcomes)} outcomes")
    headline = {m: _rate([getattr(o, m) for o in outcomes]) for m in METRICS}
    slices: dict[str, dict[str, dict[str, Any]]] = {}
    for key in SLICE_KEYS:
        values = sorted({c.labels[key] for c in cases})
        slices[key] = {
            value: {
                m: _rate(
                    [
                        getattr(o, m)
                        for c, o in zip(cases, outcomes, strict=True)
                        if c.labels[key] == value
                    ]
                )
                for m in METRICS
            }
            for value in values
        }
    return {
        "n": len(cases),
        **{m: headline[m]["value"] for m in METRICS},
        "intervals": headline,
        "slices": slices,
    }


def answer_all(
    model: Any,
    tokenizer: BPETokenizer,
    sentences: Sequence[str],
    *,
    max_new_tokens: int = MAX_NEW_TOKENS,
    progress: Callable[[int], None] | None = None,
) -> list[Answer]:
    """Greedy answers to every sentence, decoded in batches of equal prompt length."""
    (stop,) = tokenizer.encode(BOS, allowed_special={BOS})
    prompts = [prompt_ids(tokenizer, s) for s in sentences]
    outputs = greedy_batch(model, prompts, max_new_tokens, stop)
    if progress is not None:
        progress(len(sentences))
    return [parse_answer(tokenizer.decode(ids)) for ids in outputs]


def evaluate_correction(
    model: Any, tokenizer: BPETokenizer, rows: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Score the model on `rows` (a split of the tutor set); see the module docstring."""
    cases = [case_of(row) for row in rows]
    if not cases:
        raise ValueError("correction eval got no rows")
    answers = answer_all(model, tokenizer, [c.text for c in cases])
    return summarise(cases, [judge(c, a) for c, a in zip(cases, answers, strict=True)])


__all__ = [
    "METRICS",
    "SLICE_KEYS",
    "Case",
    "Outcome",
    "answer_all",
    "case_of",
    "evaluate_correction",
    "judge",
    "summarise",
]


# ------------------------------------------------------------------------------------------ report

_LABELS = {
    "exact_correction": "exact correction (erroneous)",
    "unchanged_correct": "unchanged (correct)",
    "error_code_accuracy": "error code",
    "spanish_exact": "Spanish exact",
}


def _cell(rate: Mapping[str, Any]) -> str:
    if not rate["n"]:
        return "—"
    return f"{rate['value']:.3f}"


def render_table(results: Mapping[str, Any], *, title: str) -> list[str]:
    """The headline with intervals, then every slice as a markdown table (also readable in a terminal)."""
    lines = [f"## {title} ({results['n']:,} sentences)", ""]
    lines += ["| metric | value | 95 % Wilson | n |", "|---|---|---|---|"]
    for metric in METRICS:
        rate = results["intervals"][metric]
        lines.append(
            f"| {_LABELS[metric]} | {_cell(rate)} | [{rate['wilson_lo']:.3f}, {rate['wilson_hi']:.3f}] "
            f"| {rate['n']:,} |"
        )
    for key, table in results["slices"].items():
        lines += ["", f"by {key.replace('_', ' ')}:", ""]
        lines += [
            "| " + key + " | n | exact correction | unchanged | error code | Spanish |",
            "|---|---|---|---|---|---|",
        ]
        for value, rates in table.items():
            n = rates["error_code_accuracy"]["n"]
            cells = " | ".join(_cell(rates[m]) for m in METRICS)
            lines.append(f"| {value} | {n:,} | {cells} |")
    return lines


__all__ += ["render_table"]
