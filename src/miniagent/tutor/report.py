"""`lynx eval --task tutor`: the tutor's figures and its ablation on the three labelled sets, as text and files.

The two hard zeros (contradictions, hallucinated citations) decide the exit status, so `passed` is computed
here once and the CLI only reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from lynx_cortex.atomic import write_json_atomic, write_text_atomic
from miniagent.tutor.ablation import ablate
from miniagent.tutor.evaluate import Row, frame_rows, learner_rows, run_tutor, score
from miniagent.tutor.tutor import GrammarTutor

RESULTS_FILE: Final = "tutor.json"
REPORT_FILE: Final = "TUTOR.md"
DEFAULT_FRAMES: Final = 400


def tutor_sets(limit: int = DEFAULT_FRAMES) -> list[tuple[str, list[Row]]]:
    """Learners dev and test whole, the corpus test split's first `limit` rows (learners cut too if larger)."""
    return [
        ("learners-dev", learner_rows("dev")[:limit]),
        ("learners-test", learner_rows("test")[:limit]),
        ("frames-test", frame_rows(limit)),
    ]


def evaluate_tutor(
    tutor: GrammarTutor, sets: Sequence[tuple[str, Sequence[Row]]]
) -> dict[str, Any]:
    """Per set: `evaluate`'s figures (failures kept) and the ablation table, from one tutor pass."""
    out = []
    for name, rows in sets:
        answers = run_tutor(tutor, rows, name)
        figures = score(rows, answers, name)
        figures["ablation"] = ablate(rows, answers, tutor.proposer, name)
        out.append(figures)
    passed = all(s["contradictions"] == 0 and s["hallucinated_citations"] == 0 for s in out)
    return {"model_sha": tutor.proposer.sha, "passed": passed, "sets": out}


def _pct(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "—"
    lo, hi = rate["wilson95"]
    return f"{rate['accuracy']:.1%} [{lo:.1%}, {hi:.1%}] ({rate['correct']}/{rate['n']})"


def render_tables(results: dict[str, Any]) -> list[str]:
    """Markdown tables (they read fine on a terminal too): one per set, then the ablation per set."""
    lines = [
        "| set | end-to-end [Wilson 95 %] | declines | contradictions | hallucinated citations "
        "| latency p50 / p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    for s in results["sets"]:
        lat = s["latency_ms"]
        lines.append(
            f"| {s['set']} | {_pct(s['end_to_end'])} | {_pct(s['declines'])} | {s['contradictions']} "
            f"| {s['hallucinated_citations']} | {lat['p50']:.1f} / {lat['p95']:.1f} |"
        )
    for s in results["sets"]:
        lines += [
            "",
            f"Ablation — {s['set']}",
            "",
            "| variant | end-to-end [Wilson 95 %] | contradictions of the table |",
            "|---|---|---|",
        ]
        lines += [
            f"| {a['variant']} | {_pct(a['end_to_end'])} | {a['contradictions']} |"
            for a in s["ablation"]
        ]
    return lines


def render_report(results: dict[str, Any], *, checkpoint_name: str) -> str:
    verdict = "passed" if results["passed"] else "FAILED (contradictions or hallucinated citations)"
    head = [
        f"# Tutor evaluation — {checkpoint_name}",
        "",
        f"Model sha256 `{results['model_sha']}`. Hard zeros: {verdict}.",
        "",
        "*model only*: the framing prompt decoded greedily, no mask (never declines). *+ mask*: the masked "
        "proposal as the answer. *+ truth-table verification*: the tutor's decision, citations ignored. "
        "*+ RAG*: the full tutor, also requiring every cited chunk to be retrieved and a rule that teaches "
        "the error to be cited.",
        "",
    ]
    return "\n".join(head + render_tables(results)) + "\n"


def write_tutor_eval(results: dict[str, Any], out: Path, *, checkpoint_name: str) -> list[Path]:
    return [
        write_json_atomic(out / RESULTS_FILE, results),
        write_text_atomic(
            out / REPORT_FILE, render_report(results, checkpoint_name=checkpoint_name)
        ),
    ]


__all__ = [
    "DEFAULT_FRAMES",
    "REPORT_FILE",
    "RESULTS_FILE",
    "evaluate_tutor",
    "render_report",
    "render_tables",
    "tutor_sets",
    "write_tutor_eval",
]
