"""Phase 29's evaluation: retrieval (hit@1/3/5, MRR) per mode, end-to-end faithfulness, latency, and a report.

Relevance is at rule level: a retrieved chunk counts when its rule id is labelled (either language). Every
hit rate carries its 95 % Wilson interval (minieval's); MRR, a mean of values in [0, 1] rather than a
proportion, carries a seeded percentile-bootstrap interval instead. Faithfulness = citation_ok AND pattern_ok,
where citation_ok means a cited chunk's rule is in `must_cite` and pattern_ok that `answer_pattern` matches.
A hallucinated citation (an id that was not retrieved) is counted, reported and fails the run.

The query files are read by `minirag.queries` (the KB's validated loader).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lynx_cortex.errors import LynxError
from lynx_cortex.progress import track
from minieval.metrics import wilson_interval
from minirag.metrics import first_relevant_rank, mean
from minirag.pipeline import RAGPipeline
from minirag.prompt import hallucinated
from minirag.queries import load_faithfulness, load_retrieval
from minirag.retriever import MODES, Mode, Retriever

KS = (1, 3, 5)
FAILURES = (
    "ok",
    "hallucinated_citation",
    "retrieval_miss",
    "reader_no_citation",
    "wrong_cite_right_answer",
    "right_cite_wrong_answer",
    "both_wrong",
)


@dataclass(frozen=True)
class Query:
    id: str
    query: str
    lang: str
    relevant: tuple[str, ...]  # rule ids (retrieval: `relevant`; faithfulness: `must_cite`)
    pattern: str | None = None  # faithfulness only


def read_queries(path: Path, *, faithfulness: bool = False) -> list[Query]:
    """One query file through `minirag.queries` (which checks its fields), as the evaluation's `Query`s."""
    out = (
        [
            Query(q.id, q.query, q.lang, q.must_cite, q.answer_pattern)
            for q in load_faithfulness(path)
        ]
        if faithfulness
        else [Query(q.id, q.query, q.lang, q.relevant) for q in load_retrieval(path)]
    )
    if not out:
        raise LynxError(f"{path}: no queries")
    return out


def bootstrap_ci(
    values: Sequence[float], *, reps: int = 2000, seed: int = 0
) -> tuple[float, float]:
    x = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(reps, len(x)))].mean(axis=1)  # (reps,)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def rate(flags: Sequence[bool]) -> dict[str, Any]:
    n, c = len(flags), int(sum(flags))
    lo, hi = wilson_interval(c, n)
    return {"value": c / n if n else float("nan"), "correct": c, "n": n, "lo": lo, "hi": hi}


def retrieval_eval(retriever: Retriever, queries: Sequence[Query], mode: Mode) -> dict[str, Any]:
    ranks: list[int | None] = []
    for q in queries:
        ranked = [h.rule_id for h in retriever.search(q.query, max(KS), mode)]
        ranks.append(first_relevant_rank(ranked, q.relevant))
    rr = [0.0 if r is None else 1.0 / r for r in ranks]
    lo, hi = bootstrap_ci(rr)
    out: dict[str, Any] = {f"hit@{k}": rate([r is not None and r <= k for r in ranks]) for k in KS}
    out["mrr"] = {"value": mean(rr), "lo": lo, "hi": hi, "n": len(rr)}
    out["by_lang"] = {
        lang: rate(
            [
                r is not None and r <= 5
                for r, q in zip(ranks, queries, strict=True)
                if q.lang == lang
            ]
        )
        for lang in sorted({q.lang for q in queries})
    }
    out["ranks"] = {q.id: r for q, r in zip(queries, ranks, strict=True)}
    return out


def classify(row: Mapping[str, Any]) -> str:
    if row["hallucinated"]:
        return "hallucinated_citation"
    if row["faithful"]:
        return "ok"
    if not row["relevant_retrieved"]:
        return "retrieval_miss"
    if not row["cited"]:
        return "reader_no_citation"
    if row["pattern_ok"]:
        return "wrong_cite_right_answer"
    return "right_cite_wrong_answer" if row["citation_ok"] else "both_wrong"


def faithfulness_eval(
    pipeline: RAGPipeline,
    queries: Sequence[Query],
    *,
    k: int = 5,
    mode: Mode = "hybrid",
    closed_book: bool = False,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for q in queries:
        result = pipeline.ask(q.query, k=k, mode=mode, closed_book=closed_book)
        cited_rules = [c.split("#")[0].rsplit(".", 1)[0] for c in result.cited]
        retrieved = [h.chunk_id for h in result.hits]
        row: dict[str, Any] = {
            "id": q.id,
            "query": q.query,
            "lang": q.lang,
            "answer": result.answer.text,
            "cited": result.cited,
            "must_cite": list(q.relevant),
            "citation_ok": bool(set(cited_rules) & set(q.relevant)),
            "pattern_ok": bool(re.search(q.pattern or "", result.answer.text, re.IGNORECASE)),
            "hallucinated": hallucinated(result.cited, retrieved),
            "relevant_retrieved": any(h.rule_id in q.relevant for h in result.hits),
            "cited_relevant": sum(r in q.relevant for r in cited_rules),
        }
        row["faithful"] = row["citation_ok"] and row["pattern_ok"]
        row["failure"] = classify(row)
        rows.append(row)
    n_cited = sum(len(r["cited"]) for r in rows)
    return {
        "faithfulness": rate([r["faithful"] for r in rows]),
        "pattern_ok": rate([r["pattern_ok"] for r in rows]),
        "citation_ok": rate([r["citation_ok"] for r in rows]),
        "citation_precision": sum(r["cited_relevant"] for r in rows) / n_cited
        if n_cited
        else float("nan"),
        "hallucinated_citations": sum(len(r["hallucinated"]) for r in rows),
        "failures": dict(Counter(r["failure"] for r in rows)),
        "rows": rows,
    }


def latency_ms(
    pipeline: RAGPipeline,
    queries: Sequence[str],
    *,
    k: int = 5,
    mode: Mode = "hybrid",
    reps: int = 3,
) -> dict[str, float]:
    """Wall time of `ask` per query after load (first call made untimed to warm caches), p50/p95/max."""
    pipeline.ask(queries[0], k=k, mode=mode)
    times = []
    for _ in range(reps):
        for q in queries:
            t0 = time.perf_counter()
            pipeline.ask(q, k=k, mode=mode)
            times.append((time.perf_counter() - t0) * 1000.0)
    arr = np.asarray(times)
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "max": float(arr.max()),
        "n": len(times),
    }


def evaluate(
    pipeline: RAGPipeline, retrieval: Sequence[Query], faithful: Sequence[Query], *, k: int = 5
) -> dict[str, Any]:
    modes = {
        m: retrieval_eval(pipeline.retriever, retrieval, m)
        for m in track(MODES, desc="retrieval modes")
    }
    best_single = max(modes["bm25"]["hit@3"]["value"], modes["dense"]["hit@3"]["value"])
    return {
        "retrieval": modes,
        "hybrid_gain_hit@3_pp": 100.0 * (modes["hybrid"]["hit@3"]["value"] - best_single),
        "faithfulness": {m: faithfulness_eval(pipeline, faithful, k=k, mode=m) for m in MODES},
        "closed_book": faithfulness_eval(pipeline, faithful, k=k, closed_book=True),
        "latency_ms": latency_ms(pipeline, [q.query for q in [*retrieval, *faithful]], k=k),
        "n_retrieval": len(retrieval),
        "n_faithfulness": len(faithful),
        "k": k,
    }


# The goals, judged on the held-out `test` split only: (name, metric path, minimum).
GOALS: tuple[tuple[str, str, float], ...] = (
    ("hybrid hit@5 >= 0.95", "retrieval.hybrid.hit@5", 0.95),
    ("hybrid MRR >= 0.85", "retrieval.hybrid.mrr", 0.85),
    ("hybrid beats the better single retriever by >= 5 pp hit@3", "hybrid_gain_hit@3_pp", 5.0),
    ("faithfulness (hybrid) >= 0.90", "faithfulness.hybrid.faithfulness", 0.90),
)


def _cell(results: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The metric at a dotted path, as a {"value", "lo"?, "hi"?} cell (a bare number gets no interval)."""
    node: Any = results
    for key in path.split("."):
        node = node[key]
    return node if isinstance(node, Mapping) else {"value": float(node)}


def goals(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each goal with its measured value and whether it is met; hallucinated citations must be 0 in every mode
    and `ask` p95 under 100 ms."""
    out = []
    for name, path, threshold in GOALS:
        cell = _cell(results, path)
        value = float(cell["value"])
        out.append(
            {"goal": name, "value": value, "lo": cell.get("lo"), "hi": cell.get("hi")}
            | {"met": value >= threshold}
        )
    bad = sum(f["hallucinated_citations"] for f in results["faithfulness"].values())
    out.append({"goal": "0 hallucinated citations", "value": float(bad), "met": bad == 0})
    p95 = float(results["latency_ms"]["p95"])
    out.append({"goal": "ask p95 < 100 ms after load", "value": p95, "met": p95 < 100.0})
    return out


def evaluate_splits(
    pipeline: RAGPipeline,
    retrieval: Mapping[str, Sequence[Query]],
    faithful: Mapping[str, Sequence[Query]],
    *,
    k: int = 5,
) -> dict[str, Any]:
    """`evaluate` on each split ({"dev", "test"} or {"all"}); the goal verdicts come from `test` when there is
    one, since dev is where the settings were chosen."""
    splits = {name: evaluate(pipeline, retrieval[name], faithful[name], k=k) for name in retrieval}
    judged = "test" if "test" in splits else next(iter(splits))
    return {"splits": splits, "goals_on": judged, "goals": goals(splits[judged])}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(cell: Mapping[str, Any]) -> str:
    return f"{_pct(cell['value'])} [{_pct(cell['lo'])}, {_pct(cell['hi'])}]"


def retrieval_table(results: Mapping[str, Any]) -> str:
    lines = [
        "| mode | hit@1 | hit@3 | hit@5 | MRR |",
        "| --- | --- | --- | --- | --- |",
    ]
    for mode, m in results["retrieval"].items():
        lines.append(
            f"| {mode} | {_ci(m['hit@1'])} | {_ci(m['hit@3'])} | {_ci(m['hit@5'])} | {_ci(m['mrr'])} |"
        )
    return "\n".join(lines)


def faithfulness_table(results: Mapping[str, Any]) -> str:
    lines = [
        "| reader input | faithfulness | pattern ok | citation ok | citation precision | hallucinated |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    runs = {
        **{f"{m} top-{results['k']}": f for m, f in results["faithfulness"].items()},
        "no retrieval": results["closed_book"],
    }
    for name, f in runs.items():
        prec = f["citation_precision"]
        prec_s = "–" if prec != prec else _pct(prec)
        lines.append(
            f"| {name} | {_ci(f['faithfulness'])} | {_ci(f['pattern_ok'])} | {_ci(f['citation_ok'])} | {prec_s} | {f['hallucinated_citations']} |"
        )
    return "\n".join(lines)


def goals_table(goals_: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| goal | measured (95 % interval) | met |", "| --- | --- | --- |"]
    for g in goals_:
        value = g["value"]
        shown = (
            f"{value:.3f}" if "pp" not in g["goal"] and "ms" not in g["goal"] else f"{value:.1f}"
        )
        if g.get("lo") is not None:
            shown += f" [{g['lo']:.3f}, {g['hi']:.3f}]"
        lines.append(f"| {g['goal']} | {shown} | {'yes' if g['met'] else '**no**'} |")
    return "\n".join(lines)


def render_split_report(
    evaluated: Mapping[str, Any], *, title: str, header: Sequence[str] = ()
) -> str:
    """The whole report: the goal verdicts (on test), then one section per split, test first."""
    names = sorted(evaluated["splits"], key=lambda n: (n != "test", n))
    parts = [
        f"# {title}",
        "",
        *header,
        "",
        f"## Goals (judged on `{evaluated['goals_on']}`)",
        "",
        goals_table(evaluated["goals"]),
        "",
    ]
    for name in names:
        body = render_report(evaluated["splits"][name], title="", level="##")
        parts += [f"# Split `{name}`", body]
    return "\n".join(parts)


def render_report(
    results: Mapping[str, Any], *, title: str, header: Sequence[str] = (), level: str = "#"
) -> str:
    hybrid = results["faithfulness"]["hybrid"]
    failures = ", ".join(f"{name} {hybrid['failures'].get(name, 0)}" for name in FAILURES)
    misses = [r for r in hybrid["rows"] if not r["faithful"]]
    lat = results["latency_ms"]
    parts = [
        *([f"{level} {title}", ""] if title else []),
        *header,
        "",
        f"{level}# Retrieval ({results['n_retrieval']} labelled queries, rule-level relevance)",
        "",
        "Percent with 95 % intervals (Wilson for hit rates, bootstrap for MRR).",
        "",
        retrieval_table(results),
        "",
        f"Hybrid minus the better single retriever, hit@3: {results['hybrid_gain_hit@3_pp']:+.1f} pp.",
        "",
        f"{level}# End to end ({results['n_faithfulness']} faithfulness queries)",
        "",
        faithfulness_table(results),
        "",
        f"Failure taxonomy (hybrid): {failures}.",
        "",
        f"Latency of `ask` after load, {lat['n']} calls: p50 {lat['p50']:.2f} ms, p95 {lat['p95']:.2f} ms, max {lat['max']:.2f} ms.",
        "",
        f"{level}# Unfaithful answers (hybrid)",
        "",
    ]
    parts += [
        f"- `{r['id']}` ({r['failure']}) {r['query']!r} → {r['answer']!r}" for r in misses
    ] or ["(none)"]
    return "\n".join(parts) + "\n"


__all__ = [
    "FAILURES",
    "KS",
    "Query",
    "bootstrap_ci",
    "classify",
    "evaluate",
    "evaluate_splits",
    "goals",
    "goals_table",
    "render_split_report",
    "faithfulness_eval",
    "latency_ms",
    "rate",
    "read_queries",
    "render_report",
    "retrieval_eval",
    "retrieval_table",
]
