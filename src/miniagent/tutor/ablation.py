"""What each piece of the tutor buys: the same rows answered by growing slices of the pipeline (issue 21).

The variants are read off the pieces, never re-implemented: *model only* is the framing prompt decoded
greedily without a mask (`ModelProposer.propose`, what `lynx sample` says; it never declines); *+ mask* is
the masked proposal the tutor itself made (its trace's `model` step; the mask needs the parser's candidates,
so it declines what the parser declines); *+ truth-table verification* is the tutor's decision with its
citations ignored; *+ RAG* is the full tutor, which must also cite only retrieved chunks, one of them a rule
that teaches the error (`cites_own_rule` counts the stricter reading: the error's own rule). One tutor pass feeds the last three, so the figures agree with `evaluate` on the same answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Final

from lynx_cortex.progress import track
from miniagent.tools.rules import kb_retriever
from miniagent.tutor.evaluate import Row, contradicts_table, hallucinated, is_right, rate
from miniagent.tutor.model import ModelProposer, Proposal
from miniagent.tutor.tutor import Correction, rules_wanted

VARIANTS: Final = ("model only", "+ mask", "+ truth-table verification", "+ RAG")


def as_answer(got: Correction, proposal: Proposal) -> Correction:
    """`got` with the model's proposal taken as the answer (only the fields `is_right` and the table read)."""
    return dataclasses.replace(
        got,
        in_scope=True,
        was_correct=proposal.error_code == "none",
        correction=proposal.correction,
        error_type=None if proposal.error_code in (None, "none") else proposal.error_code,
        cited_chunks=[],
    )


def masked_answer(got: Correction) -> Correction:
    """The masked proposal the tutor made for this sentence, as the answer; a decline stays a decline."""
    steps = [s for s in got.trace if s["step"] == "model"]
    if not got.in_scope or not steps:
        return got
    return as_answer(got, Proposal(**steps[0]["proposal"]))


def cited_rules(got: Correction) -> set[str]:
    return {kb_retriever().by_id[c].rule_id for c in got.cited_chunks if c in kb_retriever().by_id}


def cites_the_rule(got: Correction, *, own: bool = False) -> bool:
    """Every cited chunk was retrieved for this request, and one rests on a rule that teaches this error
    (`rules_wanted`: the error's own rule, the rule for the form it gets wrong, the verb's; the tense's rule
    for a correct sentence). `own=True` asks for the error's own rule only, the stricter reading."""
    if not got.in_scope:
        return not got.cited_chunks
    if hallucinated(got) or got.tense is None or got.verb is None:
        return False
    wanted = rules_wanted(got.error_type, got.tense, got.verb)
    return bool(cited_rules(got) & set(wanted[:1] if own else wanted))


def ablate(
    rows: Sequence[Row],
    outputs: Sequence[Correction],
    proposer: ModelProposer,
    label: str = "",
) -> list[dict[str, Any]]:
    """One row per variant, in `VARIANTS` order: end-to-end accuracy [Wilson 95 %] and table contradictions.

    `outputs` are the full tutor's answers to `rows` (`run_tutor`); only *model only* decodes again."""
    raw = [
        as_answer(got, proposer.propose([row["sentence"]])[0])
        for row, got in zip(track(rows, desc=f"model only {label}".strip()), outputs, strict=True)
    ]
    answers = {
        "model only": raw,
        "+ mask": [masked_answer(got) for got in outputs],
        "+ truth-table verification": list(outputs),
        "+ RAG": list(outputs),
    }
    table = []
    for variant in VARIANTS:
        got = answers[variant]
        right = [is_right(row, g) for row, g in zip(rows, got, strict=True)]
        if variant == "+ RAG":
            right = [ok and cites_the_rule(g) for ok, g in zip(right, got, strict=True)]
        table.append(
            {
                "variant": variant,
                "end_to_end": rate(sum(right), len(rows)),
                "contradictions": sum(contradicts_table(g) for g in got),
            }
        )
    table[-1]["cites_own_rule"] = sum(cites_the_rule(g, own=True) for g in outputs)
    return table


__all__ = ["VARIANTS", "ablate", "as_answer", "cited_rules", "cites_the_rule", "masked_answer"]
