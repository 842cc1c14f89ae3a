"""How good the tutor is, end to end: accuracy with Wilson intervals, declines, and the two hard zeros.

A row is right when in_scope, was_correct and the correction all match its label. Two counts must be zero
whatever the accuracy: *contradictions* — a returned correction whose verb group the parser, re-reading it,
does not find table-correct — and *hallucinated citations* — a cited chunk id the retriever did not return for
that request (which also catches ids the KB does not have). Latency is measured warm (after one call has
loaded the model and the index), per sentence, and reported as p50/p95.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from lynx_cortex.jsonl import read_jsonl
from lynx_cortex.paths import data_dir
from lynx_cortex.progress import track
from miniagent.tools.rules import kb_retriever
from miniagent.tutor.parse import Parse, parse
from miniagent.tutor.tutor import Correction, GrammarTutor
from minieval.metrics import wilson_interval

LEARNERS: Final = Path("eval") / "learners.jsonl"
FRAMES_TEST: Final = Path("tutor") / "frames" / "test-00.jsonl"
Row = Mapping[str, Any]


def learner_rows(split: str | None = None) -> list[Row]:
    rows = list(read_jsonl(data_dir() / LEARNERS))
    return [r for r in rows if split is None or r["split"] == split]


def frame_rows(limit: int, stride: int = 1) -> list[Row]:
    """The corpus's test split as labelled rows (every `stride`-th, at most `limit`)."""
    rows = list(read_jsonl(data_dir() / FRAMES_TEST))[::stride][:limit]
    return [
        {
            "id": r["id"],
            "sentence": r["text"],
            "in_scope": True,
            "was_correct": r["error_type"] is None,
            "correction": r["correct_text"] if r["error_type"] else r["text"],
            "error_type": r["error_type"],
            "spanish": r["spanish"],
        }
        for r in rows
    ]


def is_right(row: Row, got: Correction) -> bool:
    if got.in_scope != row["in_scope"]:
        return False
    if not row["in_scope"]:
        return True
    return bool(got.was_correct == row["was_correct"] and got.correction == row["correction"])


def contradicts_table(got: Correction) -> bool:
    """A correction whose verb group the table does not accept for its subject (re-read independently)."""
    if got.correction is None:
        return False
    again = parse(got.correction)
    return not (isinstance(again, Parse) and again.error_type is None)


def hallucinated(got: Correction) -> list[str]:
    """Cited ids not among the chunks `lookup_rule` returned in this request, or absent from the KB."""
    returned = {
        hit["chunk_id"]
        for step in got.trace
        if step.get("tool") == "lookup_rule" and step.get("ok")
        for hit in step["result"]["hits"]
    }
    known = kb_retriever().by_id
    return [c for c in got.cited_chunks if c not in returned or c not in known]


def rate(correct: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(correct, n)
    return {
        "n": n,
        "correct": correct,
        "accuracy": round(correct / n, 4) if n else None,
        "wilson95": [round(lo, 4), round(hi, 4)],
    }


def run_tutor(tutor: GrammarTutor, rows: Sequence[Row], label: str = "") -> list[Correction]:
    """The tutor's answer to every row, warm (one call first loads the model and the index)."""
    tutor.correct("Yesterday she goed to the market.")
    return [
        tutor.correct(row["sentence"]) for row in track(rows, desc=f"tutor eval {label}".strip())
    ]


def evaluate(tutor: GrammarTutor, rows: Sequence[Row], label: str = "") -> dict[str, Any]:
    """End-to-end figures for one labelled set; `failures` lists what went wrong, row by row."""
    return score(rows, run_tutor(tutor, rows, label), label)


def score(rows: Sequence[Row], outputs: Sequence[Correction], label: str = "") -> dict[str, Any]:
    """`evaluate`'s figures from answers already computed, so an ablation can reuse one tutor pass."""
    right = declined = out_of_scope = contradictions = 0
    bad_citations: list[str] = []
    latencies: list[float] = []
    failures: list[dict[str, Any]] = []
    decided: Counter[str] = Counter()
    spanish_right = spanish_n = 0
    for row, got in zip(rows, outputs, strict=True):
        latencies.append(got.duration_ms)
        ok = is_right(row, got)
        right += ok
        if not row["in_scope"]:
            out_of_scope += 1
            declined += not got.in_scope
        decided.update(s["decided_by"] for s in got.trace if s["step"] == "model")
        if row.get("spanish"):
            spanish_n += 1
            spanish_right += got.spanish_translation == row["spanish"]
        contradictions += contradicts_table(got)
        bad_citations += hallucinated(got)
        if not ok:
            failures.append(
                {
                    "id": row["id"],
                    "sentence": row["sentence"],
                    "want": row["correction"] if row["in_scope"] else "decline",
                    "got": got.correction if got.in_scope else f"decline: {got.explanation['en']}",
                }
            )
    p50, p95 = np.percentile(latencies, [50, 95]) if latencies else (float("nan"),) * 2
    return {
        "set": label,
        "end_to_end": rate(right, len(rows)),
        "declines": rate(declined, out_of_scope),
        "contradictions": contradictions,
        "hallucinated_citations": len(bad_citations),
        "latency_ms": {"p50": round(float(p50), 2), "p95": round(float(p95), 2)},
        "decided_by": dict(sorted(decided.items())),
        "spanish_exact": rate(spanish_right, spanish_n) if spanish_n else None,
        "failures": failures,
    }


def report(results: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(results), ensure_ascii=False, indent=2)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m miniagent.tutor.evaluate [FRAMES]`: learners dev, learners test and the first FRAMES rows
    (default all) of the corpus test split, as JSON on stdout (failures included)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    frames = int(args[0]) if args else 10**9
    tutor = GrammarTutor()
    sets = [
        ("learners-dev", learner_rows("dev")),
        ("learners-test", learner_rows("test")),
        ("frames-test", frame_rows(frames)),
    ]
    print(report([evaluate(tutor, rows, name) for name, rows in sets]))


if __name__ == "__main__":
    main()


__all__ = [
    "contradicts_table",
    "evaluate",
    "frame_rows",
    "hallucinated",
    "is_right",
    "learner_rows",
    "main",
    "rate",
    "report",
    "run_tutor",
    "score",
]
